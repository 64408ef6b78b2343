// The AppHost (issue 6) is built in Hosting/; until then it says so instead of pretending to run anything.
Console.Error.WriteLine("Autopack.AppHost: the run and publish verbs are not built yet.");
return 1;
