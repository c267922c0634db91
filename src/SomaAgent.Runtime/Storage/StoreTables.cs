namespace SomaAgent.Runtime.Storage;

/// <summary>
/// Where one service's tables and their migrations history live in the deployment's database. The session store
/// keeps EF's defaults; a service with tables of its own (the Registry) names its own schema and history table,
/// so its migrations never touch another's.
/// </summary>
/// <param name="PostgresSchema">The PostgreSQL schema of the history table; null for the search path's (<c>public</c>).</param>
/// <param name="HistoryTable">The migrations history table.</param>
/// <param name="SqliteHistoryTable">On SQLite, which has no schemas, the history table when it differs from <paramref name="HistoryTable"/>.</param>
public sealed record StoreTables(string? PostgresSchema = null, string HistoryTable = StoreTables.DefaultHistoryTable, string? SqliteHistoryTable = null)
{
    public const string DefaultHistoryTable = "__EFMigrationsHistory";
}
