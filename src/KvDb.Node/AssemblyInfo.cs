using System.Runtime.CompilerServices;

[assembly: InternalsVisibleTo("KvDb.Tests")]
