using StackExchange.Redis;

namespace SomaAgent.Tests.Infrastructure;

/// <summary>The private Redis fixture starts a real server that stores and returns values.</summary>
[Collection(RedisCollection.Name)]
public sealed class RedisServerTests(RedisServer redis)
{
    [Fact]
    public async Task Stores_and_returns_a_value_on_its_connection_string()
    {
        var key = $"fixture-test:{Guid.NewGuid():N}";
        await using var connection = await redis.ConnectAsync();
        var database = connection.GetDatabase();

        await database.StringSetAsync(key, "value");

        ((string?)await database.StringGetAsync(key)).ShouldBe("value");
        (await redis.KeysAsync(key)).ShouldBe([key]);
    }
}
