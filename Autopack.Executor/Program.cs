using Autopack.Executor.Extensions;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults("executor");
builder.AddExecutorServices();

var app = builder.Build();
app.MapDefaultEndpoints();
app.Run();
