using KvDb.Node;

return await KvdbProgram.RunAsync(args);
