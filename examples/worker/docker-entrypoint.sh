#!/bin/sh
set -e
echo "starting worker"
"$@"
