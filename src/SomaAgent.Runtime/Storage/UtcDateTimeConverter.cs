using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace SomaAgent.Runtime.Storage;

/// <summary>
/// Every timestamp is UTC. SQLite forgets the kind, so it is said again on the way out; every store context
/// applies this to all its <see cref="DateTime"/> properties.
/// </summary>
public sealed class UtcDateTimeConverter() : ValueConverter<DateTime, DateTime>(
    value => value.Kind == DateTimeKind.Utc ? value : value.ToUniversalTime(),
    value => DateTime.SpecifyKind(value, DateTimeKind.Utc))
{
    /// <summary>Every <see cref="DateTime"/> of the model is stored and read as UTC.</summary>
    public static void ApplyTo(ModelConfigurationBuilder configurationBuilder)
    {
        ArgumentNullException.ThrowIfNull(configurationBuilder);
        configurationBuilder.Properties<DateTime>().HaveConversion<UtcDateTimeConverter>();
    }
}
