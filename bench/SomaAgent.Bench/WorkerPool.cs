namespace SomaAgent.Bench;

/// <summary>
/// The Workers processes of the production shape beside one gateway (<see cref="ServiceProcess.StartWorkersAsync"/>),
/// started, killed and replaced as an orchestrator would. The CPU of every process that ever ran is counted.
/// </summary>
internal sealed class WorkerPool(ServiceProcess gateway) : IAsyncDisposable
{
    private readonly List<ServiceProcess> _running = [];
    private readonly List<ServiceProcess> _ended = [];
    private int _started;

    /// <summary>The processes running now, oldest first.</summary>
    public IReadOnlyList<ServiceProcess> Running
    {
        get
        {
            lock (_running)
            {
                return [.. _running];
            }
        }
    }

    /// <summary>User + system CPU of every Workers process, running or ended.</summary>
    public TimeSpan Cpu
    {
        get
        {
            lock (_running)
            {
                return _running.Concat(_ended).Aggregate(TimeSpan.Zero, (sum, w) => sum + w.Cpu);
            }
        }
    }

    public static async Task<WorkerPool> StartAsync(ServiceProcess gateway, int count, CancellationToken cancellationToken)
    {
        var pool = new WorkerPool(gateway);
        try
        {
            for (var i = 0; i < count; i++)
            {
                await pool.StartOneAsync(cancellationToken);
            }
        }
        catch
        {
            await pool.DisposeAsync();
            throw;
        }
        return pool;
    }

    public async Task<ServiceProcess> StartOneAsync(CancellationToken cancellationToken)
    {
        var worker = await ServiceProcess.StartWorkersAsync(gateway, $"workers-{Interlocked.Increment(ref _started)}", cancellationToken);
        lock (_running)
        {
            _running.Add(worker);
        }
        return worker;
    }

    /// <summary>SIGKILLs the oldest running process: its turns are left mid-way for the others to take over.</summary>
    public async Task<ServiceProcess> KillOldestAsync()
    {
        var oldest = TakeOldest();
        await oldest.KillAsync();
        return oldest;
    }

    private ServiceProcess TakeOldest()
    {
        lock (_running)
        {
            var oldest = _running[0];
            _running.RemoveAt(0);
            _ended.Add(oldest);
            return oldest;
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var worker in Running)
        {
            await worker.DisposeAsync();
        }
        foreach (var worker in _ended)
        {
            await worker.DisposeAsync();
        }
    }
}
