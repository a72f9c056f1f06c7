FROM node:20-alpine
WORKDIR /srv
COPY . .
CMD ["node", "index.js"]
