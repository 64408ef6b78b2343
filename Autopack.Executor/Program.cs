// Shell: the Executor loop is built by its own issue; until then the process serves only its health endpoints.
var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults("executor");

var app = builder.Build();
app.Logger.LogWarning("Autopack.Executor: the work loop is not built yet; this process only reports health.");
app.MapDefaultEndpoints();
app.Run();
