// Loopback ports for test servers that nothing else will take between the moment a test picks
// them and the moment its process binds them.
// Invariants:
//  - Ports come from below the kernel's ephemeral range (net.ipv4.ip_local_port_range), so no
//    outgoing connection and no bind to port 0, of any process, is ever given one: an OS-chosen
//    port is an ephemeral port, and a test that released one lost it to the next outgoing
//    connection once in a while on a busy machine (a member then failed with "address in use").
//  - A port is reserved across processes by an exclusive lock on a file named after it, held
//    until this test process exits, so concurrent test runs on one machine never share a port;
//    within this process a port is handed out once.
//  - A port is handed out only if a bind to it succeeds at that moment (nothing listens there).
using System.Net;
using System.Net.Sockets;

namespace KvDb.Testing;

/// <summary>Loopback ports reserved for this test process, outside the ephemeral range.</summary>
public static class FreePorts
{
    private const int LowestPort = 10_000;
    private static readonly Lock Gate = new();
    private static readonly List<FileStream> Reservations = [];
    private static readonly string LockDirectory = Path.Combine(Path.GetTempPath(), "kvdb-test-ports");
    private static readonly (int First, int End) Range = ChooseRange();
    // Processes start at different points of the range, so they rarely contend for the same files.
    private static int next = Range.First + (int)((long)Environment.ProcessId * 7919 % (Range.End - Range.First));

    /// <summary><paramref name="count"/> distinct ports, free now and reserved until this process exits.</summary>
    public static int[] Take(int count)
    {
        lock (Gate)
        {
            var ports = new int[count];
            var tried = 0;
            for (var i = 0; i < count; i++)
            {
                while (true)
                {
                    if (++tried > Range.End - Range.First)
                        throw new InvalidOperationException($"No free loopback port left in [{Range.First}, {Range.End}) for this test process.");
                    var port = Advance();
                    if (TryReserve(port))
                    {
                        ports[i] = port;
                        break;
                    }
                }
            }

            return ports;
        }
    }

    private static int Advance()
    {
        var port = next;
        next = next + 1 >= Range.End ? Range.First : next + 1;
        return port;
    }

    private static bool TryReserve(int port)
    {
        Directory.CreateDirectory(LockDirectory);
        FileStream reservation;
        try
        {
            // FileShare.None takes an exclusive advisory lock (flock) that the kernel drops when
            // the process exits, however it exits.
            reservation = new FileStream(Path.Combine(LockDirectory, port.ToString(System.Globalization.CultureInfo.InvariantCulture)), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }

        if (!IsBindable(port))
        {
            reservation.Dispose();
            return false;
        }

        Reservations.Add(reservation);
        return true;
    }

    private static bool IsBindable(int port)
    {
        try
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            socket.Bind(new IPEndPoint(IPAddress.Loopback, port));
            socket.Listen();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    // [LowestPort, first ephemeral port), or a fixed range where the kernel does not say.
    private static (int First, int End) ChooseRange()
    {
        const int FallbackEnd = 32_768;
        try
        {
            var text = File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split((char[])['\t', ' ', '\n'], StringSplitOptions.RemoveEmptyEntries);
            if (text.Length >= 1 && int.TryParse(text[0], out var ephemeralStart) && ephemeralStart - LowestPort >= 2_000)
                return (LowestPort, ephemeralStart);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }

        return (LowestPort, FallbackEnd);
    }
}
