FROM node:20.11-alpine
CMD ["node", "server.js"]
