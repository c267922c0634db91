using System.Data.Common;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace SomaAgent.Runtime.Storage;

/// <summary>
/// Per-connection SQLite settings. <c>busy_timeout</c> lets SQLite wait for a competing writer in short
/// steps itself; without it the driver backs off 150 ms per collision, which dominated turn latency
/// under load (docs/benchmarks.md). <c>synchronous=NORMAL</c> is the WAL-mode setting that survives any
/// process crash and only risks the last commits on a power loss.
/// </summary>
internal sealed class SqliteConnectionSetup : DbConnectionInterceptor
{
    private const string Pragmas = "PRAGMA busy_timeout = 10000; PRAGMA synchronous = NORMAL;";

    public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData)
    {
        ArgumentNullException.ThrowIfNull(connection);
        using var command = connection.CreateCommand();
        command.CommandText = Pragmas;
        command.ExecuteNonQuery();
    }

    public override async Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(connection);
        await using var command = connection.CreateCommand();
        command.CommandText = Pragmas;
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
