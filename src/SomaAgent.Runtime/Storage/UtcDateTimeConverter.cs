using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace SomaAgent.Runtime.Storage;

/// <summary>
/// Every timestamp is UTC. SQLite forgets the kind, so it is said again on the way out; every store context
/// applies this to all its <see cref="DateTime"/> properties.
/// </summary>
public sealed class UtcDateTimeConverter() : ValueConverter<DateTime, DateTime>(
    value => value.Kind == DateTimeKind.Utc ? value : value.ToUniversalTime(),
    value => DateTime.SpecifyKind(value, DateTimeKind.Utc));
