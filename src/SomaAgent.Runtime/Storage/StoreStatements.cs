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
    /// Rows per INSERT on PostgreSQL: one round trip for a whole batch's events, far below its 65535 parameters.
    /// </summary>
    public const int RowsPerInsert = 200;

    /// <summary>
    /// Rows per INSERT on SQLite, where a statement costs no round trip but binding is quadratic in its parameters
    /// (the driver and SQLite both find each parameter by name in a list): 200-row statements spent 12 % of the
    /// gateway's CPU in string compares (perf, docs/benchmarks.md); 16 rows keep the lists short.
    /// </summary>
    public const int SqliteRowsPerInsert = 16;

    private readonly ISqlGenerationHelper _sql = db.GetService<ISqlGenerationHelper>();
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

    /// <summary>The parameters bound so far, for the statement they belong to; the next statement starts afresh.</summary>
    public DbParameter[] TakeParameters()
    {
        DbParameter[] taken = [.. _parameters];
        _parameters.Clear();
        return taken;
    }

    /// <summary>
    /// Inserts <paramref name="rows"/> with as few statements as <see cref="RowsPerInsert"/> allows; a refused row fails
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
        var head = $"INSERT INTO {Table(entity)} ({string.Join(", ", properties.Select(p => _sql.DelimitIdentifier(p.GetColumnName())))}) VALUES ";
        foreach (var chunk in rows.Chunk(db.Database.IsSqlite() ? SqliteRowsPerInsert : RowsPerInsert))
        {
            var text = new StringBuilder(head, head.Length + (chunk.Length * properties.Length * 6));
            for (var r = 0; r < chunk.Length; r++)
            {
                text.Append(r == 0 ? "(" : ", (");
                for (var c = 0; c < properties.Length; c++)
                {
                    text.Append(c == 0 ? "" : ", ").Append(Parameter(properties[c], properties[c].GetGetter().GetClrValue(chunk[r])));
                }
                text.Append(')');
            }
            try
            {
                await db.Database.ExecuteSqlRawAsync(text.ToString(), TakeParameters(), cancellationToken);
            }
            catch (DbException ex)
            {
                // What SaveChanges would have thrown for the same rows (a key taken, a constraint broken).
                throw new DbUpdateException($"Could not insert {chunk.Length} {entity.GetTableName()} rows: {ex.Message}", ex);
            }
        }
    }

    private string Parameter(IProperty property, object? value)
    {
        var name = NextName();
        var mapping = (RelationalTypeMapping)property.GetTypeMapping();
        return Bind(name, mapping.CreateParameter(Factory(), _sql.GenerateParameterName(name), value, property.IsNullable));
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
