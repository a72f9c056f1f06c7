FROM node:20.11.0-alpine
WORKDIR /app
COPY . .
CMD ["node", "server.js"]
