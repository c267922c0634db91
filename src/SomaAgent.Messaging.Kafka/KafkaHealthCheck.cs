using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace SomaAgent.Messaging.Kafka;

/// <summary>
/// Ready while the brokers answer a metadata request on the bus's own producer connection (no extra client), and
/// not after a client of the bus failed for good (a fatal librdkafka error, such as a fenced idempotent producer).
/// </summary>
internal sealed class KafkaHealthCheck(KafkaEventBus bus) : IHealthCheck
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(3);

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (bus.FatalError is { } fatal)
        {
            return HealthCheckResult.Unhealthy($"A Kafka client failed for good: {fatal}");
        }
        try
        {
            // A metadata request blocks its thread for up to the timeout.
            var brokers = await Task.Run(() => bus.ReachableBrokers(Timeout), cancellationToken);
            return brokers > 0
                ? HealthCheckResult.Healthy($"{brokers} Kafka broker(s) answer.")
                : HealthCheckResult.Unhealthy("The Kafka cluster reports no brokers.");
        }
        catch (Confluent.Kafka.KafkaException ex)
        {
            return HealthCheckResult.Unhealthy($"The Kafka brokers do not answer: {ex.Error.Reason}");
        }
    }
}
