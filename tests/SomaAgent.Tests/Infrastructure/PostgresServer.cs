using Npgsql;

namespace SomaAgent.Tests.Infrastructure;

/// <summary>
/// A private PostgreSQL 15 cluster for one test collection (<see cref="PostgresProcess"/>, which the fault bench
/// starts too). Each test calls <see cref="CreateDatabaseAsync"/> so it owns its data.
/// </summary>
public sealed class PostgresServer : IAsyncLifetime
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    private PostgresProcess? _server;

    /// <summary>Connection string to the server's <c>postgres</c> database (superuser, over TCP).</summary>
    public string ConnectionString =>
        _server?.ConnectionString ?? throw new InvalidOperationException("The PostgreSQL server has not been started.");

    public async ValueTask InitializeAsync()
    {
        using var timeout = new CancellationTokenSource(StartTimeout);
        _server = await PostgresProcess.StartAsync(timeout.Token);
    }

    /// <summary>A new empty database whose name starts with <paramref name="prefix"/>; its connection string.</summary>
    public async Task<string> CreateDatabaseAsync(string prefix, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(prefix);

        // Identifiers are at most 63 bytes; keep the prefix readable and the suffix unique.
        var safePrefix = new string([.. prefix.ToLowerInvariant().Select(c => char.IsAsciiLetterOrDigit(c) ? c : '_')]);
        var name = $"{safePrefix[..Math.Min(safePrefix.Length, 30)]}_{Guid.NewGuid():N}";

        await using (var connection = new NpgsqlConnection(ConnectionString))
        {
            await connection.OpenAsync(cancellationToken);
            await using var command = connection.CreateCommand();
#pragma warning disable CA2100 // The name is built above from [a-z0-9_] only; CREATE DATABASE takes no parameters.
            command.CommandText = $"CREATE DATABASE \"{name}\"";
#pragma warning restore CA2100
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        return new NpgsqlConnectionStringBuilder(ConnectionString) { Database = name }.ConnectionString;
    }

    public async ValueTask DisposeAsync()
    {
        if (_server is null)
        {
            return;
        }
        NpgsqlConnection.ClearAllPools();
        await _server.DisposeAsync();
    }
}

/// <summary>Tests in this collection share one <see cref="PostgresServer"/>.</summary>
[CollectionDefinition(Name)]
public sealed class PostgresCollection : ICollectionFixture<PostgresServer>
{
    public const string Name = "PostgreSQL";
}
