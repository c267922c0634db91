using SomaAgent.Messaging.Kafka;
using SomaAgent.Runtime.Messaging;

namespace SomaAgent.Tests.Runtime.Messaging;

/// <summary>Kafka settings that contradict each other stop the service at start-up, naming the key and the fix.</summary>
public sealed class KafkaOptionsValidatorTests
{
    private static readonly KafkaOptionsValidator Validator = new();

    [Fact]
    public void The_defaults_are_valid()
    {
        Validator.Validate(null, new KafkaOptions()).Succeeded.ShouldBeTrue();
    }

    [Fact]
    public void A_session_timeout_under_the_consumer_protocol_is_refused_naming_the_brokers_setting()
    {
        var result = Validator.Validate(null, new KafkaOptions { SessionTimeoutMs = 10_000, HeartbeatIntervalMs = 1_000 });

        result.Failures.ShouldNotBeNull().Count().ShouldBe(2);
        var message = result.FailureMessage.ShouldNotBeNull();
        message.ShouldContain("SomaAgent:Kafka:SessionTimeoutMs applies to the classic group protocol only");
        message.ShouldContain("group.consumer.session.timeout.ms");
        message.ShouldContain("group.consumer.heartbeat.interval.ms");
    }

    [Fact]
    public void A_classic_heartbeat_above_a_third_of_the_session_timeout_is_refused()
    {
        var result = Validator.Validate(null, new KafkaOptions { GroupProtocol = "classic", SessionTimeoutMs = 6_000, HeartbeatIntervalMs = 3_000 });

        result.FailureMessage.ShouldNotBeNull().ShouldContain("SomaAgent:Kafka:HeartbeatIntervalMs (3000) must be at most a third of SomaAgent:Kafka:SessionTimeoutMs (6000)");
    }

    [Fact]
    public void Classic_timeouts_that_fit_are_valid()
    {
        Validator.Validate(null, new KafkaOptions { GroupProtocol = "classic", SessionTimeoutMs = 10_000, HeartbeatIntervalMs = 2_000 }).Succeeded.ShouldBeTrue();
    }
}
