namespace Autopack.Core.Configuration;

public enum DatabaseProvider { Postgres, Sqlite }
