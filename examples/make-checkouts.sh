#!/bin/sh
# Turn the example folders into git checkouts under DEST, with a configuration for
# `dockmend run` beside them (the local platform commits to a branch in each checkout
# and writes the request to .git/dockmend/REQUEST.md; the working tree is not touched).
set -eu
dest=${1:?usage: make-checkouts.sh DEST}
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$dest"
for src in "$here"/checkouts/*/; do
    name=$(basename "$src")
    if [ -e "$dest/$name" ]; then
        echo "$dest/$name exists, left as it is" >&2
        continue
    fi
    cp -R "$src" "$dest/$name"
    git -C "$dest/$name" init -q -b main
    git -C "$dest/$name" remote add origin "https://git.example.com/examples/$name.git"
    git -C "$dest/$name" add -A
    git -C "$dest/$name" -c user.name=Example -c user.email=example@example.com commit -q -m "Initial commit"
done
cat > "$dest/dockmend.yaml" <<YAML
platforms:
  checkouts: {type: local, path: .}
targets:
  - {name: checkouts, platform: checkouts}
YAML
echo "checkouts in $dest; next: dockmend run --config $dest/dockmend.yaml --dry-run --offline"
