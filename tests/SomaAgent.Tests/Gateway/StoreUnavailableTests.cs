using System.Data.Common;
using SomaAgent.Gateway.Problems;

namespace SomaAgent.Tests.Gateway;

/// <summary>Which database errors mean "the store is out of reach, retry" (503) rather than a bug (500).</summary>
public sealed class StoreUnavailableTests
{
    [Fact]
    public void A_transient_database_error_behind_another_exception_is_the_store_out_of_reach()
    {
        var cause = new StoreError(transient: true, sqlState: null);

        StoreUnavailableExceptionHandler.FindUnreachableStore(new InvalidOperationException("retry limit exceeded", cause)).ShouldBeSameAs(cause);
    }

    [Theory]
    [InlineData("57P01")] // admin_shutdown: the server is stopping
    [InlineData("57P03")] // cannot_connect_now: the server is starting
    [InlineData("08006")] // connection_failure
    public void A_server_stopping_starting_or_cut_off_is_the_store_out_of_reach(string sqlState)
    {
        StoreUnavailableExceptionHandler.FindUnreachableStore(new StoreError(transient: false, sqlState)).ShouldNotBeNull();
    }

    [Theory]
    [InlineData("23505")] // unique_violation: a bug or a race, not an outage
    [InlineData(null)]
    public void Any_other_database_error_is_not(string? sqlState)
    {
        StoreUnavailableExceptionHandler.FindUnreachableStore(new StoreError(transient: false, sqlState)).ShouldBeNull();
        StoreUnavailableExceptionHandler.FindUnreachableStore(new InvalidOperationException("no database involved")).ShouldBeNull();
    }

    private sealed class StoreError(bool transient, string? sqlState) : DbException("store error")
    {
        public override bool IsTransient => transient;

        public override string? SqlState => sqlState;
    }
}
