// The client commands (kvdb get|put|del|range|watch|txn|lease|lock|elect|members|status) run
// from the same executable, like kvdb bench; anything else is a member's command line.
using KvDb.Node.Hosting;

if (KvDb.Cli.CliProgram.Handles(args))
    return await KvDb.Cli.CliProgram.RunAsync(args);

return await KvdbProgram.RunAsync(args);
