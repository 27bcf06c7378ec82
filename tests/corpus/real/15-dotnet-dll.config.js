// @pattern ASP.NET app: `script: 'dotnet'`, `args: 'App.dll'`, `cwd` the relative publish folder
// @owner bob
// @root ~/inventory
// @config ecosystem.config.js
// @file bin/Release/net8.0/publish/Inventory.Api.dll node-http writes=logs/app.log
// @file Inventory.Api.csproj text <Project Sdk="Microsoft.NET.Sdk.Web"></Project>
// @expect inventory-api http 3015
// @needs identity
// @strict stops: 0750 home
//
// dotnet is NOT installed: ~/.dotnet/dotnet is a compiled stand-in (an ELF binary, as the
// real one) that runs the "dll" (a JavaScript stand-in app) with the image's node. The
// port comes from ASPNETCORE_URLS, as for Kestrel.
module.exports = {
  apps: [{
    name: 'inventory-api',
    script: 'dotnet',
    args: 'Inventory.Api.dll',
    cwd: 'bin/Release/net8.0/publish',
    instances: 1,
    autorestart: true,
    watch: false,
    max_memory_restart: '256M',
    env: {
      ASPNETCORE_ENVIRONMENT: 'Production',
      ASPNETCORE_URLS: 'http://0.0.0.0:3015',
    },
  }],
};
