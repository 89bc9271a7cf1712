#!/usr/bin/env bash
# Installs the tools the PowerShell and Bicep checks need into <repo>/.tools/ (git-ignored):
#   .tools/pwsh/pwsh                                                  PowerShell 7 (a .NET tool)
#   .tools/nuget/pester/5.7.1/tools/Pester.psd1                       Pester
#   .tools/nuget/azure.bicep.commandline.linux-x64/0.49.2/tools/bicep the Bicep CLI
# Needs the .NET SDK (dotnet); everything comes from NuGet, nothing else is downloaded.
# Idempotent: a tool that is already there is skipped.
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
tools="$repo/.tools"
pwsh_version=7.6.10
pwsh="$tools/pwsh/pwsh"
pester="$tools/nuget/pester/5.7.1/tools/Pester.psd1"
bicep="$tools/nuget/azure.bicep.commandline.linux-x64/0.49.2/tools/bicep"

if ! command -v dotnet >/dev/null; then
  echo "tools:install needs the .NET SDK (dotnet) on PATH" >&2
  exit 1
fi
mkdir -p "$tools"

if [ -x "$pwsh" ]; then
  echo "== pwsh: already installed"
else
  echo "== pwsh: dotnet tool install PowerShell $pwsh_version"
  dotnet tool install --tool-path "$tools/pwsh" PowerShell --version "$pwsh_version"
fi

if [ -f "$pester" ] && [ -f "$bicep" ]; then
  echo "== Pester, Bicep: already installed"
else
  echo "== Pester, Bicep: dotnet restore scripts/tools/tools.csproj"
  dotnet restore "$repo/scripts/tools/tools.csproj" --packages "$tools/nuget" \
    -p:BaseIntermediateOutputPath="$tools/obj/" --nologo
fi
chmod +x "$bicep"

"$pwsh" -NoProfile -NoLogo -Command '$PSVersionTable.PSVersion.ToString()' | sed 's/^/== pwsh /'
"$bicep" --version | sed 's/^/== /'
echo "== Pester $(basename "$(dirname "$(dirname "$pester")")")"
