// Checks done before anything starts, so that a misconfiguration is one clear line on
// stderr instead of a stack trace from deep inside Kestrel or DotNext.
using System.Net;
using System.Net.Sockets;

namespace KvDb.Node.Hosting;

/// <summary>Start-up checks of ports and the data directory.</summary>
public static class Preflight
{
    /// <summary>Fails with a message when <paramref name="endPoint"/> cannot be listened on.</summary>
    public static string? CheckPort(IPEndPoint endPoint, string what)
    {
        try
        {
            using var listener = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            listener.Bind(endPoint);
            return null;
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.AddressAlreadyInUse)
        {
            return $"{what} port {endPoint.Port} on {endPoint.Address} is already in use (is another kvdb running?)";
        }
        catch (SocketException e)
        {
            return $"cannot listen on {endPoint} for {what}: {e.Message}";
        }
    }

    /// <summary>
    /// Creates the data directory if needed, checks it is writable and takes an exclusive lock
    /// on it, so two members can never share one log. The returned handle holds the lock.
    /// </summary>
    public static (FileStream? Lock, string? Error) LockDataDirectory(string directory)
    {
        try
        {
            Directory.CreateDirectory(directory);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return (null, $"cannot create data directory '{directory}': {e.Message}");
        }

        var lockPath = Path.Combine(directory, "LOCK");
        try
        {
            var handle = new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            var probe = Path.Combine(directory, ".write-probe");
            File.WriteAllText(probe, "kvdb");
            File.Delete(probe);
            return (handle, null);
        }
        catch (UnauthorizedAccessException e)
        {
            return (null, $"data directory '{directory}' is not writable: {e.Message}");
        }
        catch (IOException e) when (File.Exists(lockPath))
        {
            return (null, $"data directory '{directory}' is in use by another kvdb process (or not writable: {e.Message})");
        }
        catch (IOException e)
        {
            return (null, $"data directory '{directory}' is not usable: {e.Message}");
        }
    }

    /// <summary>A fresh directory for --in-memory: on tmpfs when the machine has one, so nothing reaches a disk.</summary>
    public static string CreateEphemeralDirectory()
    {
        var root = Directory.Exists("/dev/shm") ? "/dev/shm" : Path.GetTempPath();
        var path = Path.Combine(root, $"kvdb-{Environment.ProcessId}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(path);
        return path;
    }
}
