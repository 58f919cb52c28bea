// Runs one kind of background work (flushing or compacting) on the thread pool.
// Invariants:
//  - At most one loop runs per worker, so its steps never overlap each other.
//  - Kicks coalesce: a kick during a run makes the loop go round once more, so no request
//    is lost and none runs twice concurrently.
//  - WhenIdle completes when the loop that is running (if any) exits.
//  - A step that throws is reported to onError; steps are expected to notice the failed
//    engine and return false afterwards.
namespace KvDb.Core.Storage;

internal sealed class WorkLoop(Func<bool> step, Action<Exception> onError)
{
    private readonly Lock gate = new();
    private bool pending;
    private bool running;
    private Task loop = Task.CompletedTask;

    public void Kick()
    {
        lock (gate)
        {
            pending = true;
            if (running)
                return;
            running = true;
            loop = Task.Run(Loop);
        }
    }

    public Task WhenIdle()
    {
        lock (gate)
            return loop;
    }

    private void Loop()
    {
        while (true)
        {
            lock (gate)
            {
                if (!pending)
                {
                    running = false;
                    return;
                }

                pending = false;
            }

            try
            {
                while (step())
                {
                }
            }
            catch (Exception e)
            {
                onError(e);
            }
        }
    }
}
