from node:20-alpine
workdir /app
onbuild copy package.json ./
onbuild run npm install
run apk add --no-cache git
cmd ["node", "server.js"]
