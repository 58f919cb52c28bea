Console.WriteLine("kvdb");
