using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace SomaAgent.Tests.Runtime.Storage;

/// <summary>The store's PostgreSQL connections prepare their frequent statements and skip the reset on return, unless the operator says otherwise.</summary>
public sealed class PostgresConnectionSettingsTests
{
    [Fact]
    public void Frequent_statements_are_prepared_by_default()
    {
        var settings = new NpgsqlConnectionStringBuilder(StoreServiceCollectionExtensions.WithStoreDefaults("Host=127.0.0.1;Username=app;Database=soma"));

        settings.MaxAutoPrepare.ShouldBe(64);
        settings.AutoPrepareMinUsages.ShouldBe(2);
        settings.NoResetOnClose.ShouldBeTrue();
        settings.Host.ShouldBe("127.0.0.1");
    }

    [Fact]
    public void Operator_settings_for_prepared_statements_and_resets_are_kept()
    {
        var settings = new NpgsqlConnectionStringBuilder(StoreServiceCollectionExtensions.WithStoreDefaults("Host=127.0.0.1;Max Auto Prepare=0;No Reset On Close=false"));

        settings.MaxAutoPrepare.ShouldBe(0);
        settings.NoResetOnClose.ShouldBeFalse();
    }
}
