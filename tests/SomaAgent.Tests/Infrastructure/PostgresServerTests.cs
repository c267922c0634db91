using Npgsql;

namespace SomaAgent.Tests.Infrastructure;

/// <summary>The private PostgreSQL fixture starts a real server and gives each test its own database.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresServerTests(PostgresServer postgres)
{
    [Fact]
    public async Task Answers_queries_on_its_connection_string()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var connection = new NpgsqlConnection(postgres.ConnectionString);
        await connection.OpenAsync(ct);
        await using var command = new NpgsqlCommand("select 1", connection);

        var result = await command.ExecuteScalarAsync(ct);

        result.ShouldBe(1);
    }

    [Fact]
    public async Task Creates_a_distinct_empty_database_per_call()
    {
        var ct = TestContext.Current.CancellationToken;

        var first = await postgres.CreateDatabaseAsync("fixture-test", ct);
        var second = await postgres.CreateDatabaseAsync("fixture-test", ct);

        var firstName = await CurrentDatabaseAsync(first, ct);
        var secondName = await CurrentDatabaseAsync(second, ct);
        firstName.ShouldStartWith("fixture_test_");
        secondName.ShouldStartWith("fixture_test_");
        firstName.ShouldNotBe(secondName);
    }

    private static async Task<string?> CurrentDatabaseAsync(string connectionString, CancellationToken ct)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(ct);
        await using var command = new NpgsqlCommand("select current_database()", connection);
        return (string?)await command.ExecuteScalarAsync(ct);
    }
}
