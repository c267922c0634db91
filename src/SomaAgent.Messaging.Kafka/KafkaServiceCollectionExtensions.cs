using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using SomaAgent.Messaging.Kafka;
using SomaAgent.Runtime.Messaging;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Chooses the Kafka bus for a host of the engine.</summary>
public static class KafkaServiceCollectionExtensions
{
    /// <summary>
    /// The Kafka bus when <c>ConnectionStrings:kafka</c> names bootstrap servers; else the in-memory bus, which
    /// keeps everything in this process (the embedded topology).
    /// </summary>
    public static EventBusBuilder UseKafkaOrInMemoryBus(this EventBusBuilder bus, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(bus);
        ArgumentNullException.ThrowIfNull(configuration);
        if (configuration.KafkaBootstrapServers() is not { } servers)
        {
            return bus.UseInMemoryBus();
        }
        bus.Services.AddOptions<KafkaOptions>().BindConfiguration(KafkaOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        bus.Services.AddSingleton<IValidateOptions<KafkaOptions>, KafkaOptionsValidator>();
        // What Aspire's client integrations give Redis and PostgreSQL, the bus has of its own: traces (publish and
        // process spans with the W3C context in the headers), metrics (published, lag, dead letters) and this check.
        bus.Services.AddHealthChecks().AddCheck<KafkaHealthCheck>("kafka", tags: ["ready"]);
        return bus.UseBus(sp => ActivatorUtilities.CreateInstance<KafkaEventBus>(sp, servers));
    }
}
