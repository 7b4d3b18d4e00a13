// bcoin 1.0.2 as a scripted, independent regtest peer for btcpeerd's
// interop tests. Usage: node bcoin_peer.js <listen-port|0> <only-host:port>
// [blocks-to-mine] [p2wsh]
// Prints one JSON object per line on stdout: listening, open (handshake
// done, with the remote's version), pong (a ping of ours answered), close,
// mined, mempool (a transaction its mempool accepted), and with
// BCOIN_SAY_TIP set, tip (each block connected). With "p2wsh" the
// blocks pay P2WSH(OP_TRUE), spendable without keys, and "mined" names
// block 1's coinbase (txid in internal byte order, value).
// It stays on 127.0.0.1: `only` keeps it from dialling anything else, and
// external-address discovery is replaced with a no-op.
'use strict';

const bcoin = require('bcoin');
const crypto = require('crypto');
const net = require('net');

const listenPort = parseInt(process.argv[2], 10);
const only = process.argv[3];
const mine = parseInt(process.argv[4] || '0', 10);
const toP2wsh = process.argv[5] === 'p2wsh';
const pingRounds = 3;

function say(obj) {
  process.stdout.write(JSON.stringify(obj) + '\n');
}

// bcoin always starts its HTTP API; give it a free loopback port so two
// instances (or a leftover one) never collide.
function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = srv.address().port;
      srv.close(() => resolve(port));
    });
  });
}

async function main() {
  const httpPort = await freePort();
  const node = new bcoin.FullNode({
    network: 'regtest',
    memory: true,
    workers: false,
    listen: listenPort > 0,
    host: '127.0.0.1',
    port: listenPort > 0 ? listenPort : 48444,
    only: [only],
    httpHost: '127.0.0.1',
    httpPort: httpPort,
    // BCOIN_LOG=debug shows bcoin's own view when a test fails.
    logLevel: process.env.BCOIN_LOG || 'error',
    logConsole: Boolean(process.env.BCOIN_LOG)
  });
  // bcoin speaks no BIP324: btcpeerd's first connection carries a v2 key
  // and garbage, which bcoin parses as malformed v1 and scores 10 per
  // error, banning the address at 100 (so the v1 retry could be refused,
  // depending on the random garbage). The test is about btcpeerd's
  // fallback, so bcoin's ban threshold is raised out of the way. FullNode
  // does not pass a banScore option on to its pool: set the pool's own.
  node.pool.options.banScore = 1000000;
  node.pool.discoverExternal = async () => {};
  node.pool.discoverGateway = async () => {};

  node.pool.on('peer open', (peer) => {
    say({event: 'open', outbound: peer.outbound, agent: peer.agent, version: peer.version,
         services: peer.services, height: peer.height});
    let answered = 0;
    let last = peer.lastPong;
    const timer = setInterval(() => {
      if (peer.destroyed) {
        clearInterval(timer);
        return;
      }
      if (peer.lastPong !== last) {
        last = peer.lastPong;
        answered += 1;
        say({event: 'pong', round: answered, rtt_ms: peer.minPing});
        if (answered >= pingRounds) {
          clearInterval(timer);
          return;
        }
      }
      if (!peer.challenge)
        peer.sendPing();
    }, 50);
  });
  // Why bcoin drops a peer (it only logs it at debug level otherwise).
  node.pool.on('peer connect', (peer) => {
    peer.on('error', (err) => say({event: 'peer-error', message: String(err && err.message)}));
  });
  node.pool.on('peer close', (peer) => say({event: 'close', outbound: peer.outbound}));
  node.on('error', (err) => say({event: 'error', message: String(err && err.message)}));
  node.mempool.on('tx', (tx) => say({event: 'mempool', txid: tx.txid()}));
  if (process.env.BCOIN_SAY_TIP)
    node.chain.on('connect', (entry) => say({event: 'tip', height: entry.height}));

  await node.open();
  if (mine > 0) {
    // Blocks paying to a fresh key of bcoin's own (btcpeerd only needs the
    // chain), or to P2WSH(OP_TRUE) for a test to spend.
    let address;
    if (toP2wsh) {
      const hash = crypto.createHash('sha256').update(Buffer.from([0x51])).digest();
      address = bcoin.Address.fromWitnessScripthash(hash);
    } else {
      address = bcoin.KeyRing.generate().getAddress('base58', 'regtest');
    }
    for (let i = 0; i < mine; i++) {
      const block = await node.miner.mineBlock(node.chain.tip, address);
      await node.chain.add(block);
    }
    const mid = await node.chain.getEntry(Math.floor(mine / 2));
    const first = await node.chain.getBlock(await node.chain.getHash(1));
    const cb = first.txs[0];
    say({event: 'mined', height: node.chain.height, tip: node.chain.tip.rhash(),
         middle_height: mid.height, middle: mid.rhash(),
         coinbase: cb.hash().toString('hex'), coinbase_value: cb.outputs[0].value});
  }
  await node.connect();
  say({event: 'listening', port: listenPort});
  node.startSync();

  const stop = async () => {
    await node.close().catch(() => {});
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((err) => {
  say({event: 'error', message: String(err && err.stack)});
  process.exit(1);
});
