using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace SomaAgent.Registry.Storage;

// Used only by `dotnet ef migrations add`; the connection strings are never opened.
internal sealed class SqliteRegistryDesignTimeFactory : IDesignTimeDbContextFactory<SqliteRegistryDbContext>
{
    public SqliteRegistryDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<SqliteRegistryDbContext>()
            .UseSqlite("Data Source=design.db", s => s.MigrationsHistoryTable(RegistryDbContext.Tables.SqliteHistoryTable!)).Options);
}

internal sealed class PostgresRegistryDesignTimeFactory : IDesignTimeDbContextFactory<PostgresRegistryDbContext>
{
    public PostgresRegistryDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<PostgresRegistryDbContext>()
            .UseNpgsql("Host=design", n => n.MigrationsHistoryTable(RegistryDbContext.Tables.HistoryTable, RegistryDbContext.Schema)).Options);
}
