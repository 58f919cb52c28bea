
return await KvdbProgram.RunAsync(args);
