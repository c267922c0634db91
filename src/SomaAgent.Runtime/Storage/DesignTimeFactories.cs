using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace SomaAgent.Runtime.Storage;

// Used only by `dotnet ef migrations add`; the connection strings are never opened.
internal sealed class SqliteDesignTimeFactory : IDesignTimeDbContextFactory<SqliteSessionDbContext>
{
    public SqliteSessionDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<SqliteSessionDbContext>().UseSqlite("Data Source=design.db").Options);
}

internal sealed class PostgresDesignTimeFactory : IDesignTimeDbContextFactory<PostgresSessionDbContext>
{
    public PostgresSessionDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<PostgresSessionDbContext>().UseNpgsql("Host=design").Options);
}
