# escape=`
FROM mcr.microsoft.com/windows/servercore:ltsc2022
SHELL ["powershell", "-Command", "$ErrorActionPreference = 'Stop';"]
RUN Invoke-WebRequest -Uri https://example.com/x.zip -OutFile x.zip ; `
    Expand-Archive x.zip -DestinationPath C:\x ; `
    Remove-Item x.zip
CMD C:\x\run.exe --serve
