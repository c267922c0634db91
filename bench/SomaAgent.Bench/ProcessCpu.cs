using System.Globalization;

namespace SomaAgent.Bench;

/// <summary>
/// CPU (user + system) of a process and every process under it, from <c>/proc</c>: a PostgreSQL server is a
/// postmaster with one backend process per connection, so its cost is the tree's, not the postmaster's alone.
/// Children that already exited count through their parent's <c>cutime</c>/<c>cstime</c>.
/// </summary>
internal static class ProcessCpu
{
    /// <summary>The process's own user + system CPU so far (not its children's).</summary>
    public static TimeSpan Read(int pid) =>
        Stat(pid) is { } fields
            ? Seconds(Ticks(fields[11]) + Ticks(fields[12]))
            : throw new InvalidOperationException($"Process {pid} is gone: /proc/{pid}/stat cannot be read.");

    public static TimeSpan ReadTree(int rootPid)
    {
        var parents = new Dictionary<int, int>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(directory), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) && Stat(pid) is { } fields)
            {
                parents[pid] = int.Parse(fields[1], CultureInfo.InvariantCulture);
            }
        }
        var ticks = 0L;
        var queue = new Queue<int>([rootPid]);
        while (queue.TryDequeue(out var pid))
        {
            if (Stat(pid) is not { } fields)
            {
                continue;
            }
            ticks += Ticks(fields[11]) + Ticks(fields[12]) + Ticks(fields[13]) + Ticks(fields[14]);
            foreach (var (child, parent) in parents)
            {
                if (parent == pid)
                {
                    queue.Enqueue(child);
                }
            }
        }
        return Seconds(ticks);
    }

    // /proc counts in USER_HZ, which the kernel fixes at 100 for user space on every Linux architecture.
    private static TimeSpan Seconds(long ticks) => TimeSpan.FromSeconds(ticks / 100.0);

    private static long Ticks(string field) => long.Parse(field, CultureInfo.InvariantCulture);

    /// <summary>
    /// The fields of <c>/proc/&lt;pid&gt;/stat</c> after the command name (which may hold spaces): state is index 0,
    /// ppid 1, utime 11, stime 12, cutime 13, cstime 14, in clock ticks. Null when the process is gone.
    /// </summary>
    private static string[]? Stat(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }
}
