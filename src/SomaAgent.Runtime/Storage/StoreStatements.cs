using System.Data.Common;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage;

namespace SomaAgent.Runtime.Storage;

/// <summary>
/// Hand-built statements for the store writer's hot path, from the EF model (table and column names, and each
/// column's type mapping with its value converter, so a value is bound exactly as EF would bind it) and sent
/// through EF's raw SQL path (logged, in the current transaction). They skip what costs most in a LINQ statement:
/// building and looking up the expression tree on every call, and one statement per row.
/// </summary>
public sealed class StoreStatements(DbContext db) : IDisposable
{
    /// <summary>
    /// Rows per INSERT on SQLite, where a statement costs no round trip but binding is quadratic in its parameters
    /// (the driver and SQLite both find each parameter by name in a list): 200-row statements spent 12 % of the
    /// gateway's CPU in string compares (perf, docs/benchmarks.md); 16 rows keep the lists short.
    /// </summary>
    public const int SqliteRowsPerInsert = 16;

    private readonly ISqlGenerationHelper _sql = db.GetService<ISqlGenerationHelper>();
    private readonly IRelationalTypeMappingSource _mappings = db.GetService<IRelationalTypeMappingSource>();
    private readonly List<DbParameter> _parameters = [];
    private DbCommand? _factory;

    public string Table<T>() => Table(Entity<T>());

    public string Identifier(string name) => _sql.DelimitIdentifier(name);

    public string Column<T>(string property) => _sql.DelimitIdentifier(Entity<T>().FindProperty(property)!.GetColumnName());

    /// <summary>A placeholder for <paramref name="value"/>, bound with the mapping of <typeparamref name="T"/>.<paramref name="property"/>.</summary>
    public string Parameter<T>(string property, object? value) => Parameter(Entity<T>().FindProperty(property)!, value);

    /// <summary>A placeholder for a value that is no column's (a flag, a count).</summary>
    public string Parameter(long value)
    {
        var name = NextName();
        var parameter = Factory().CreateParameter();
        parameter.ParameterName = _sql.GenerateParameterName(name);
        parameter.Value = value;
        parameter.DbType = System.Data.DbType.Int64;
        return Bind(name, parameter);
    }

    /// <summary>
    /// Whether rows travel as one array per column, unnested by the server (PostgreSQL): a statement's text is then
    /// the same whatever the number of rows, so the server parses and plans it once per connection (prepared) instead
    /// of once per batch; batches of a new size each were a new statement, and planning them cost PostgreSQL more than
    /// running them (pg_stat_statements, docs/benchmarks.md). SQLite has no arrays and plans cheaply: VALUES rows.
    /// </summary>
    public bool BindsRowsAsArrays => !db.Database.IsSqlite();

    /// <summary>
    /// <paramref name="rows"/> as a derived table named <paramref name="alias"/> whose columns are named after
    /// <paramref name="columns"/>' aliases: <c>unnest(…) AS v(…)</c> with one array per column where
    /// <see cref="BindsRowsAsArrays"/>, else <c>(SELECT … UNION ALL SELECT …) AS v</c>. A column with a property is
    /// bound with the mapping of <typeparamref name="TEntity"/>'s property; one without is a 64-bit integer (a flag).
    /// </summary>
    public string Rows<TEntity, TRow>(string alias, IReadOnlyList<TRow> rows, IReadOnlyList<RowColumn<TRow>> columns)
    {
        var entity = Entity<TEntity>();
        if (BindsRowsAsArrays)
        {
            var arrays = columns.Select(c => c.Property is { } property
                ? ArrayParameter(entity.FindProperty(property)!, rows.Select(c.Value), rows.Count)
                : ArrayParameter(rows.Select(r => (long)c.Value(r)!).ToArray()));
            return $"unnest({string.Join(", ", arrays)}) AS {alias}({string.Join(", ", columns.Select(c => c.Alias))})";
        }
        var selects = rows.Select(row => "SELECT " + string.Join(", ", columns.Select(c => (c.Property is { } property
            ? Parameter(entity.FindProperty(property)!, c.Value(row))
            : Parameter((long)c.Value(row)!)) + " AS " + c.Alias)));
        return $"({string.Join(" UNION ALL ", selects)}) AS {alias}";
    }

    /// <summary>The parameters bound so far, for the statement they belong to; the next statement starts afresh.</summary>
    public DbParameter[] TakeParameters()
    {
        DbParameter[] taken = [.. _parameters];
        _parameters.Clear();
        return taken;
    }

    /// <summary>
    /// Inserts <paramref name="rows"/> in one statement (arrays, <see cref="BindsRowsAsArrays"/>) or as few as
    /// <see cref="SqliteRowsPerInsert"/> allows; a refused row fails
    /// with <see cref="DbUpdateException"/>, as it would through SaveChanges.
    /// </summary>
    public async Task InsertAsync<T>(IReadOnlyList<T> rows, CancellationToken cancellationToken)
        where T : class
    {
        if (rows.Count == 0)
        {
            return;
        }
        var entity = Entity<T>();
        var properties = entity.GetProperties().ToArray();
        var head = $"INSERT INTO {Table(entity)} ({string.Join(", ", properties.Select(p => _sql.DelimitIdentifier(p.GetColumnName())))}) ";
        if (BindsRowsAsArrays)
        {
            var arrays = properties.Select(p => ArrayParameter(p, rows.Select(r => p.GetGetter().GetClrValue(r)), rows.Count));
            await InsertAsync(entity, $"{head}SELECT * FROM unnest({string.Join(", ", arrays)})", rows.Count, cancellationToken);
            return;
        }
        foreach (var chunk in rows.Chunk(SqliteRowsPerInsert))
        {
            var text = new StringBuilder(head, head.Length + (chunk.Length * properties.Length * 6)).Append("VALUES ");
            for (var r = 0; r < chunk.Length; r++)
            {
                text.Append(r == 0 ? "(" : ", (");
                for (var c = 0; c < properties.Length; c++)
                {
                    text.Append(c == 0 ? "" : ", ").Append(Parameter(properties[c], properties[c].GetGetter().GetClrValue(chunk[r])));
                }
                text.Append(')');
            }
            await InsertAsync(entity, text.ToString(), chunk.Length, cancellationToken);
        }
    }

    private async Task InsertAsync(IEntityType entity, string text, int rows, CancellationToken cancellationToken)
    {
        try
        {
            await db.Database.ExecuteSqlRawAsync(text, TakeParameters(), cancellationToken);
        }
        catch (DbException ex)
        {
            // What SaveChanges would have thrown for the same rows (a key taken, a constraint broken).
            throw new DbUpdateException($"Could not insert {rows} {entity.GetTableName()} rows: {ex.Message}", ex);
        }
    }

    private string Parameter(IProperty property, object? value)
    {
        var name = NextName();
        var mapping = (RelationalTypeMapping)property.GetTypeMapping();
        return Bind(name, mapping.CreateParameter(Factory(), _sql.GenerateParameterName(name), value, property.IsNullable));
    }

    /// <summary>One array of the column's provider values (converted as EF converts them), bound with the provider's array mapping.</summary>
    private string ArrayParameter(IProperty property, IEnumerable<object?> values, int count)
    {
        var mapping = (RelationalTypeMapping)property.GetTypeMapping();
        var providerType = mapping.Converter?.ProviderClrType ?? mapping.ClrType;
        var elementType = property.IsNullable && providerType.IsValueType ? typeof(Nullable<>).MakeGenericType(providerType) : providerType;
        var array = Array.CreateInstance(elementType, count);
        var index = 0;
        foreach (var value in values)
        {
            array.SetValue(value is not null && mapping.Converter is { } converter ? converter.ConvertToProvider(value) : value, index++);
        }
        return BindArray(array);
    }

    private string ArrayParameter(long[] values) => BindArray(values);

    private string BindArray(Array values)
    {
        var mapping = _mappings.FindMapping(values.GetType())
            ?? throw new InvalidOperationException($"The store's provider has no mapping for {values.GetType().Name} parameters.");
        var name = NextName();
        return Bind(name, mapping.CreateParameter(Factory(), _sql.GenerateParameterName(name), values, nullable: false));
    }

    private string NextName() => "p" + _parameters.Count.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private string Bind(string name, DbParameter parameter)
    {
        _parameters.Add(parameter);
        return _sql.GenerateParameterNamePlaceholder(name);
    }

    public void Dispose() => _factory?.Dispose();

    private IEntityType Entity<T>() => db.Model.FindEntityType(typeof(T))
        ?? throw new InvalidOperationException($"{typeof(T).Name} is not in the store's model.");

    private string Table(IEntityType entity) => _sql.DelimitIdentifier(entity.GetTableName()!, entity.GetSchema());

    // Parameters are created by a command of the provider, then handed to EF, which adds them to its own command.
    private DbCommand Factory() => _factory ??= db.Database.GetDbConnection().CreateCommand();
}

/// <summary>
/// A column of a derived table (<see cref="StoreStatements.Rows"/>): its alias, the entity property whose mapping
/// binds it (null for a 64-bit integer), and how to read its value from a row.
/// </summary>
public sealed record RowColumn<TRow>(string Alias, string? Property, Func<TRow, object?> Value);
