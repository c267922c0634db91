using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using SomaAgent.Runtime.Messaging;
using SomaAgent.Runtime.Models;
using SomaAgent.Runtime.Storage;
using SomaAgent.Runtime.Tools;
using SomaAgent.Runtime.Tools.BuiltIn;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers what every host of the engine shares; each backing service is chosen by its own connection setting.</summary>
public static class RuntimeServiceCollectionExtensions
{
    /// <summary>The Kafka bootstrap servers when <c>ConnectionStrings:kafka</c> selects the Kafka bus, else null.</summary>
    public static string? KafkaBootstrapServers(this IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var servers = configuration.GetConnectionString("kafka");
        return string.IsNullOrWhiteSpace(servers) ? null : servers;
    }

    /// <summary>
    /// The store with its group-commit writer, the model and tool catalogs and the bus's dispatch. The bus itself
    /// is chosen on the returned builder (<see cref="EventBusBuilder.UseInMemoryBus"/>, or the Kafka bus).
    /// </summary>
    public static EventBusBuilder AddSomaAgentRuntime(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        if (services.FirstOrDefault(d => d.ServiceType == typeof(EventBusBuilder))?.ImplementationInstance is EventBusBuilder added)
        {
            return added;
        }

        services.TryAddSingleton(TimeProvider.System);
        builder.AddSomaAgentStore();
        // Before the roles, so it starts before recovery writes and stops after the last turn's final write.
        services.AddHostedSingleton<SessionWriteQueue>();
        services.AddHostedService<IdempotencyKeyJanitor>();

        services.AddOptions<ModelOptions>().BindConfiguration(ModelOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<IValidateOptions<ModelOptions>, ModelOptionsValidator>();
        services.TryAddSingleton<ModelCatalog>();

        foreach (var tool in BuiltInTools.Create())
        {
            services.AddSingleton(tool);
        }
        services.TryAddSingleton<ToolCatalog>();

        var subscriptions = new BusSubscriptions();
        services.AddSingleton(subscriptions);
        services.TryAddSingleton<BusDispatcher>();
        var bus = new EventBusBuilder(services, subscriptions);
        services.AddSingleton(bus);
        return bus;
    }

    /// <summary>One instance that both serves as <typeparamref name="T"/> and runs as a hosted service.</summary>
    public static IServiceCollection AddHostedSingleton<T>(this IServiceCollection services) where T : class, IHostedService
    {
        ArgumentNullException.ThrowIfNull(services);
        services.TryAddSingleton<T>();
        services.AddHostedService(sp => sp.GetRequiredService<T>());
        return services;
    }
}
