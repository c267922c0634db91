using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace SomaAgent.Tests.Runtime.Storage;

/// <summary>The store's PostgreSQL connections prepare their frequent statements unless the operator says otherwise.</summary>
public sealed class PostgresConnectionSettingsTests
{
    [Fact]
    public void Frequent_statements_are_prepared_by_default()
    {
        var settings = new NpgsqlConnectionStringBuilder(StoreServiceCollectionExtensions.WithAutoPrepare("Host=127.0.0.1;Username=app;Database=soma"));

        settings.MaxAutoPrepare.ShouldBe(64);
        settings.AutoPrepareMinUsages.ShouldBe(2);
        settings.Host.ShouldBe("127.0.0.1");
    }

    [Fact]
    public void An_operator_setting_for_prepared_statements_is_kept()
    {
        var settings = new NpgsqlConnectionStringBuilder(StoreServiceCollectionExtensions.WithAutoPrepare("Host=127.0.0.1;Max Auto Prepare=0"));

        settings.MaxAutoPrepare.ShouldBe(0);
    }
}
