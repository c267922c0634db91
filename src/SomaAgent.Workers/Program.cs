var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddWorkerRoles();

var app = builder.Build();

app.MapDefaultEndpoints();
app.MapWorkerStatus();

app.Run();
