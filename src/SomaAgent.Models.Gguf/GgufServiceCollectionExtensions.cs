using Microsoft.Extensions.DependencyInjection.Extensions;
using SomaAgent.Models.Gguf;
using SomaAgent.Runtime.Models;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds the local GGUF models to the model catalog of a host of the engine.</summary>
public static class GgufServiceCollectionExtensions
{
    /// <summary>The models of <c>SomaAgent:Models:Gguf</c> (none by default), run by llama.cpp in this process.</summary>
    public static IServiceCollection AddGgufModels(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IModelSource, GgufModelSource>());
        return services;
    }
}
