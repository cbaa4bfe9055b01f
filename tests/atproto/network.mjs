// A local AT Protocol network (PLC, PDS, bsky AppView) for the Bluesky connector's tests.
//
// Environment: ATPROTO_DB_URL (a PostgreSQL database of its own, dropped by the caller) and
// REDIS_HOST (host:port). Services listen on fixed loopback ports from ATPROTO_BASE_PORT
// (default 32580). Prints one JSON line with the service URLs and the accounts, then reads
// commands from stdin, one a line, answering each with one JSON line:
//   process            wait until the AppView has indexed every write so far
//   close              stop the network and exit (also on end of input, SIGTERM, SIGINT)
import { TestNetwork } from '@atproto/dev-env'
import { createInterface } from 'node:readline'

const base = Number(process.env.ATPROTO_BASE_PORT || 32580)
const ports = { plc: base + 1, pds: base + 2, bsky: base + 3, ozone: base + 4 }
const appview = `http://localhost:${ports.bsky}`

const network = await TestNetwork.create({
  dbPostgresUrl: process.env.ATPROTO_DB_URL,
  dbPostgresSchema: 'civicdesk',
  plc: { port: ports.plc },
  // Rate limits on, so answers carry the RateLimit-* headers of a production PDS.
  pds: { port: ports.pds, rateLimitsEnabled: true },
  bsky: { port: ports.bsky },
  ozone: { port: ports.ozone },
})

const seed = network.getSeedClient()
const accounts = {}
for (const name of ['agency', 'jane', 'paul']) {
  const password = `${name}-password`
  const account = await seed.createAccount(name, {
    handle: `${name}.test`,
    email: `${name}@example.test`,
    password,
  })
  accounts[name] = { did: account.did, handle: account.handle, password }
}
const agent = network.pds.getClient()
await agent.login({ identifier: 'agency.test', password: accounts.agency.password })
const appPassword = await agent.com.atproto.server.createAppPassword({ name: 'Civic Desk' })
accounts.agency.app_password = appPassword.data.password
await network.processAll()

let closing = false
async function close() {
  if (closing) return
  closing = true
  await network.close()
  process.stdout.write(JSON.stringify({ closed: true }) + '\n')
  process.exit(0)
}
process.on('SIGTERM', close)
process.on('SIGINT', close)

process.stdout.write(
  JSON.stringify({ pds: network.pds.url, appview, plc: network.plc.url, accounts }) + '\n',
)

for await (const line of createInterface({ input: process.stdin })) {
  const command = line.trim()
  if (command === 'process') {
    await network.processAll()
    process.stdout.write(JSON.stringify({ processed: true }) + '\n')
  } else if (command === 'close') {
    break
  } else if (command) {
    process.stdout.write(JSON.stringify({ error: `unknown command ${command}` }) + '\n')
  }
}
await close()
