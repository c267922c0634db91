using System.Data.Common;
using System.Runtime.CompilerServices;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace SomaAgent.Runtime.Storage;

/// <summary>
/// Per-connection SQLite settings. <c>busy_timeout</c> lets SQLite wait for a competing writer in short
/// steps itself; without it the driver backs off 150 ms per collision, which dominated turn latency
/// under load (docs/benchmarks.md). <c>synchronous=NORMAL</c> is the WAL-mode setting that survives any
/// process crash and only risks the last commits on a power loss. Both belong to the native connection, which the
/// driver pools and hands out again on every open: they are set once per native connection, not on every open
/// (that was 15 extra statements per agent run).
/// </summary>
internal sealed class SqliteConnectionSetup : DbConnectionInterceptor
{
    private const string Pragmas = "PRAGMA busy_timeout = 10000; PRAGMA synchronous = NORMAL;";

    private readonly ConditionalWeakTable<object, object> _prepared = [];

    public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData)
    {
        if (IsNew(connection))
        {
            using var command = connection.CreateCommand();
            command.CommandText = Pragmas;
            command.ExecuteNonQuery();
        }
    }

    public override async Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        if (IsNew(connection))
        {
            await using var command = connection.CreateCommand();
            command.CommandText = Pragmas;
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
    }

    private bool IsNew(DbConnection connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        return connection is not SqliteConnection { Handle: { } handle } || _prepared.TryAdd(handle, handle);
    }
}
