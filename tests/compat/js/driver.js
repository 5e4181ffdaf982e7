// Compatibility scenarios with kafkajs (pure JavaScript client). Same contract as
// tests/compat/drivers/common.py: first line {"version": ...}, then one JSON line per scenario.
// kafkajs has no group-less consumer, so every consuming scenario joins a (scenario-unique) group.
// It ships only gzip: snappy, lz4 and zstd come from pure-JavaScript codec packages.
'use strict'

const fs = require('fs')
const {
  Kafka, logLevel, CompressionTypes, CompressionCodecs, ConfigResourceTypes, AssignerProtocol,
} = require('kafkajs')
const SnappyCodec = require('kafkajs-snappy')
const lz4 = require('lz4js')
const { ZstdCodec } = require('zstd-codec')

const T_MS = 15000

function arg (name) {
  const i = process.argv.indexOf(name)
  if (i < 0 || i + 1 >= process.argv.length) throw new Error('missing ' + name)
  return process.argv[i + 1]
}

const bootstrap = arg('--bootstrap')
const prefix = arg('--prefix')
const scenarios = arg('--scenarios').split(',').filter(Boolean)
const data = JSON.parse(fs.readFileSync(arg('--data'), 'utf8'))

function emit (obj) { process.stdout.write(JSON.stringify(obj) + '\n') }
function log (...a) { process.stderr.write(a.join(' ') + '\n') }

// ---- codecs ----------------------------------------------------------------------------------
let zstd = null
const zstdReady = new Promise(resolve => ZstdCodec.run(z => { zstd = new z.Streaming(); resolve() }))
CompressionCodecs[CompressionTypes.Snappy] = SnappyCodec
// LZ4 frames the way Kafka's own writer makes them: 64 KiB blocks flagged independent (lz4js's
// own frame writer leaves that flag clear, and Apache Kafka rejects such frames).
const xxh32 = require('lz4js/xxh32')
const LZ4_BLOCK_BYTES = 64 * 1024
function lz4Frame (src) {
  const parts = []
  const header = Buffer.from([0x04, 0x22, 0x4d, 0x18, 0x60, 0x40, 0])
  header[6] = (xxh32.hash(0, header, 4, 2) >> 8) & 0xff
  parts.push(header)
  for (let at = 0; at < src.length; at += LZ4_BLOCK_BYTES) {
    const n = Math.min(LZ4_BLOCK_BYTES, src.length - at)
    const out = Buffer.alloc(lz4.compressBound(n))
    const size = lz4.compressBlock(src, out, at, n, new Uint32Array(1 << 16))
    const len = Buffer.alloc(4)
    if (size === 0 || size >= n) {
      len.writeUInt32LE((0x80000000 | n) >>> 0)
      parts.push(len, src.subarray(at, at + n))
    } else {
      len.writeUInt32LE(size)
      parts.push(len, out.subarray(0, size))
    }
  }
  parts.push(Buffer.alloc(4))
  return Buffer.concat(parts)
}
CompressionCodecs[CompressionTypes.LZ4] = () => ({
  async compress (encoder) { return lz4Frame(encoder.buffer) },
  async decompress (buffer) { return Buffer.from(lz4.decompress(buffer)) },
})
CompressionCodecs[CompressionTypes.ZSTD] = () => ({
  async compress (encoder) { await zstdReady; return Buffer.from(zstd.compress(encoder.buffer)) },
  async decompress (buffer) { await zstdReady; return Buffer.from(zstd.decompress(buffer)) },
})

// ---- helpers ---------------------------------------------------------------------------------
const kafka = new Kafka({
  clientId: 'gregor-compat',
  brokers: [bootstrap],
  connectionTimeout: 10000,
  requestTimeout: 10000,
  retry: { retries: 3, initialRetryTime: 200, maxRetryTime: 1000 },
  logLevel: logLevel.WARN,
  logCreator: () => ({ namespace, level, label, log: l }) => {
    const { message, ...extra } = l
    process.stderr.write(`[${label}] ${namespace}: ${message} ${JSON.stringify(extra)}\n`)
  },
})

function withTimeout (p, ms = T_MS, what = 'operation') {
  let timer
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise((_resolve, reject) => { timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms) }),
  ])
}

const sleep = ms => new Promise(resolve => setTimeout(resolve, ms))

async function waitUntil (pred, ms = T_MS) {
  const end = Date.now() + ms
  for (;;) {
    const v = await pred()
    if (v || Date.now() >= end) return v
    await sleep(200)
  }
}

// Kafka error name of a kafkajs error: protocol errors carry .type; wrappers carry the cause.
function errName (e) {
  for (let x = e, i = 0; x && i < 5; i++) {
    if (x.type && typeof x.type === 'string') return x.type
    if (Array.isArray(x.errors) && x.errors.length && x.errors[0].type) return x.errors[0].type
    if (Array.isArray(x.groups) && x.groups.length && x.groups[0].error) return errName(x.groups[0].error)
    x = x.originalError || x.cause
  }
  return (e && e.name ? e.name : 'Error')
}

async function settle (p) {
  try { await withTimeout(p); return 'NONE' } catch (e) { log('error:', e && e.stack); return errName(e) }
}

function message (r, partition) {
  const headers = {}
  for (const [k, v] of r.headers || []) {
    if (v === null) continue // kafkajs cannot send a null header value
    if (k in headers) headers[k] = [].concat(headers[k], v)
    else headers[k] = v
  }
  return { key: r.key, value: r.value, partition, timestamp: String(r.ts), headers }
}

function text (b) { return b === null || b === undefined ? null : b.toString('utf8') }

function record (partition, m) {
  const h = []
  for (const [k, v] of Object.entries(m.headers || {})) {
    for (const one of [].concat(v)) h.push([k, text(one)])
  }
  return { p: partition, o: Number(m.offset), k: text(m.key), v: text(m.value), h, ts: Number(m.timestamp), tt: null }
}

async function produce (ctx, records, opts = {}, partition = 0) {
  const producer = kafka.producer({ allowAutoTopicCreation: false, idempotent: !!opts.idempotent,
    maxInFlightRequests: opts.idempotent ? 1 : undefined, transactionalId: opts.transactionalId })
  await withTimeout(producer.connect(), T_MS, 'producer connect')
  try {
    const res = await withTimeout(producer.send({
      topic: opts.topic || ctx.topic,
      acks: -1,
      compression: opts.compression || CompressionTypes.None,
      messages: records.map(r => message(r, partition)),
    }), T_MS, 'send')
    return res.map(x => ({ p: x.partition, base: Number(x.baseOffset), error: x.errorCode }))
  } finally {
    await producer.disconnect()
  }
}

// Reads `count` records of the topic through a group of one (kafkajs needs a group to consume).
async function consume (ctx, count, opts = {}) {
  const consumer = kafka.consumer({ groupId: `${ctx.topic}-${opts.tag || 'read'}`, sessionTimeout: 10000,
    heartbeatInterval: 500, readUncommitted: opts.readUncommitted !== false, allowAutoTopicCreation: false,
    retry: { retries: 2 } })
  const out = []
  const errors = []
  await withTimeout(consumer.connect(), T_MS, 'consumer connect')
  try {
    await withTimeout(consumer.subscribe({ topic: ctx.topic, fromBeginning: opts.fromBeginning !== false }))
    consumer.on(consumer.events.CRASH, e => errors.push(errName(e.payload.error)))
    await consumer.run({ autoCommit: false, eachMessage: async ({ partition, message: m }) => { out.push(record(partition, m)) } })
    if (opts.seek !== undefined) consumer.seek({ topic: ctx.topic, partition: 0, offset: String(opts.seek) })
    await waitUntil(() => out.length >= count || errors.length, opts.waitMs || T_MS)
  } finally {
    await withTimeout(consumer.disconnect(), T_MS, 'consumer disconnect').catch(() => {})
  }
  const result = out.slice(0, count).sort((a, b) => a.p - b.p || a.o - b.o)
  if (errors.length) result.push({ error: errors[0] })
  return result
}

async function roundtrip (ctx, records, opts = {}) {
  const produced = await produce(ctx, records, opts)
  return { produced, consumed: await consume(ctx, records.length) }
}

function compressionRecords () {
  const c = data.compression
  const filler = c.filler.repeat(c.filler_repeat)
  return Array.from({ length: c.count }, (_x, i) => ({ key: c.key_prefix + i, value: `${c.value_prefix}${i}-${filler}`, ts: c.ts }))
}

function simpleRecords (kind, key, value) {
  const c = data[kind]
  return Array.from({ length: c.count }, (_x, i) => ({ key: key(i, c), value: value(i, c), ts: c.ts + i }))
}

function groupRecords (partition) {
  const g = data.group
  return Array.from({ length: g.per_partition }, (_x, j) => ({ key: `g-${partition}-${j}`, value: `group ${partition} ${j}`, ts: g.ts + partition * 10 + j }))
}

async function withAdmin (fn) {
  const admin = kafka.admin()
  await withTimeout(admin.connect(), T_MS, 'admin connect')
  try { return await fn(admin) } finally { await admin.disconnect() }
}

async function describeTopic (admin, topic) {
  try {
    const md = await withTimeout(admin.fetchTopicMetadata({ topics: [topic] }))
    const t = md.topics.find(x => x.name === topic)
    if (!t) return 'absent'
    return {
      partitions: t.partitions.map(p => ({ id: p.partitionId, leader: p.leader, replicas: p.replicas, isr: p.isr, error: p.partitionErrorCode }))
        .sort((a, b) => a.id - b.id),
    }
  } catch (e) { return errName(e) }
}

async function topicConfigs (admin, topic) {
  const res = await withTimeout(admin.describeConfigs({ resources: [{ type: ConfigResourceTypes.TOPIC, name: topic }], includeSynonyms: false }))
  const out = {}
  for (const e of res.resources[0].configEntries) out[e.configName] = e
  return out
}

const SOURCES = { 1: 'DYNAMIC_TOPIC_CONFIG', 2: 'DYNAMIC_BROKER_CONFIG', 3: 'DYNAMIC_DEFAULT_BROKER_CONFIG', 4: 'STATIC_BROKER_CONFIG', 5: 'DEFAULT_CONFIG' }

function entryView (e) { return { value: e.configValue, source: SOURCES[e.configSource] || e.configSource, read_only: e.readOnly, sensitive: e.isSensitive } }

async function groupState (admin, gid) {
  try {
    const d = (await withTimeout(admin.describeGroups([gid]))).groups[0]
    const members = d.members.map(m => {
      if (!m.memberAssignment || !m.memberAssignment.length) return 0
      const a = AssignerProtocol.MemberAssignment.decode(m.memberAssignment)
      return Object.values((a && a.assignment) || {}).reduce((n, ps) => n + ps.length, 0)
    }).sort()
    return { state: d.state, protocol_type: d.protocolType, assignor: d.protocol, members }
  } catch (e) { return { error: errName(e) } }
}

// ---- scenarios -------------------------------------------------------------------------------
const SCENARIOS = {
  roundtrip: ctx => roundtrip(ctx, data.roundtrip),
  headers: ctx => roundtrip(ctx, data.headers),
  compression_gzip: ctx => roundtrip(ctx, compressionRecords(), { compression: CompressionTypes.GZIP }),
  compression_snappy: ctx => roundtrip(ctx, compressionRecords(), { compression: CompressionTypes.Snappy }),
  compression_lz4: ctx => roundtrip(ctx, compressionRecords(), { compression: CompressionTypes.LZ4 }),
  compression_zstd: ctx => roundtrip(ctx, compressionRecords(), { compression: CompressionTypes.ZSTD }),
  idempotent: ctx => roundtrip(ctx, simpleRecords('idempotent', (i, c) => c.key_prefix + i, (i, c) => c.value_prefix + i), { idempotent: true }),

  async list_offsets (ctx) {
    const d = data.list_offsets
    await produce(ctx, d.ts_deltas.map((delta, i) => ({ key: `t${i}`, value: `at +${delta} ms`, ts: d.ts + delta })))
    return withAdmin(async admin => {
      const offs = await withTimeout(admin.fetchTopicOffsets(ctx.topic))
      const byTime = await withTimeout(admin.fetchTopicOffsetsByTimestamp(ctx.topic, d.query_ts))
      const after = await withTimeout(admin.fetchTopicOffsetsByTimestamp(ctx.topic, d.future_ts))
      return { earliest: offs[0].low, latest: offs[0].high, by_time: byTime[0].offset, after_last: after[0].offset }
    })
  },

  async admin_topics (ctx) {
    const d = data.admin
    const t = ctx.topic
    return withAdmin(async admin => {
      const out = {}
      const create = (n, cfg) => withTimeout(admin.createTopics({ waitForLeaders: true, topics: [{ topic: t, numPartitions: n, replicationFactor: 1, configEntries: Object.entries(cfg || {}).map(([name, value]) => ({ name, value })) }] }))
      try { out.create = await create(d.partitions, d.configs) } catch (e) { out.create = errName(e) }
      try { out.create_again = await create(1) } catch (e) { out.create_again = errName(e) }
      out.describe = await describeTopic(admin, t)
      out.create_partitions = await settle(admin.createPartitions({ topicPartitions: [{ topic: t, count: d.new_partitions }] }))
      await waitUntil(async () => { const x = await describeTopic(admin, t); return x.partitions && x.partitions.length === d.new_partitions })
      out.describe_after = await describeTopic(admin, t)
      out.shrink_partitions = await settle(admin.createPartitions({ topicPartitions: [{ topic: t, count: 2 }] }))
      out.listed = (await withTimeout(admin.listTopics())).includes(t)
      out.delete = await settle(admin.deleteTopics({ topics: [t], timeout: 10000 }))
      out.gone_from_list = !!(await waitUntil(async () => !(await admin.listTopics()).includes(t)))
      out.describe_deleted = await describeTopic(admin, t)
      out.delete_again = await settle(admin.deleteTopics({ topics: [t], timeout: 10000 }))
      out.brokers = (await withTimeout(admin.describeCluster())).brokers.length
      return out
    })
  },

  async describe_configs (ctx) {
    return withAdmin(async admin => {
      const entries = await topicConfigs(admin, ctx.topic)
      const overrides = {}
      for (const [n, e] of Object.entries(entries)) if (SOURCES[e.configSource] === 'DYNAMIC_TOPIC_CONFIG') overrides[n] = e.configValue
      const defaults = {}
      for (const n of data.described_defaults) if (entries[n]) defaults[n] = entryView(entries[n])
      return { overrides, defaults, names: Object.keys(entries).sort() }
    })
  },

  async alter_configs (ctx) {
    return withAdmin(async admin => {
      const alter = cfg => settle(admin.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: ctx.topic, configEntries: Object.entries(cfg).map(([name, value]) => ({ name, value })) }] }))
      const out = { alter: await alter(data.alter_configs) }
      let entries = await topicConfigs(admin, ctx.topic)
      // Kafka applies a config change asynchronously: describe until it shows (bounded).
      const shows = e => Object.entries(data.alter_configs).every(([k, v]) => e[k] && e[k].configValue === v)
      await waitUntil(async () => { entries = await topicConfigs(admin, ctx.topic); return shows(entries) })
      out.after = {}
      for (const k of Object.keys(data.alter_configs)) out.after[k] = { value: entries[k].configValue, source: SOURCES[entries[k].configSource] }
      out.alter_unknown_key = await alter({ 'no.such.config': '1' })
      return out
    })
  },

  async group (ctx) {
    const d = data.group
    for (let p = 0; p < d.partitions; p++) await produce(ctx, groupRecords(p), {}, p)
    const gid = `${ctx.topic}-g`
    const members = []
    for (let i = 0; i < d.members; i++) {
      const c = kafka.consumer({ groupId: gid, sessionTimeout: 10000, heartbeatInterval: 500, allowAutoTopicCreation: false, retry: { retries: 2 } })
      const st = { c, assigned: [], progress: {}, errors: [] }
      members.push(st)
      c.on(c.events.GROUP_JOIN, e => {
        st.assigned = ((e.payload.memberAssignment || {})[ctx.topic] || []).slice().sort()
        st.progress = {}
      })
      c.on(c.events.CRASH, e => st.errors.push(errName(e.payload.error)))
    }
    const seen = new Set()
    const out = {}
    try {
      for (const st of members) {
        await withTimeout(st.c.connect(), T_MS, 'connect')
        await withTimeout(st.c.subscribe({ topic: ctx.topic, fromBeginning: true }))
        await st.c.run({
          autoCommit: false,
          eachMessage: async ({ partition, message: m }) => {
            seen.add(`${partition}/${m.offset}`)
            if (st.assigned.includes(partition)) st.progress[partition] = Number(m.offset) + 1
          },
        })
      }
      const settled = () => members.every(st => st.assigned.length) &&
        members.reduce((n, st) => n + st.assigned.length, 0) === d.partitions &&
        members.every(st => st.assigned.every(p => st.progress[p] === d.per_partition))
      await waitUntil(settled, 2 * T_MS)
      out.assignment_counts = members.map(st => st.assigned.length).sort()
      out.consumed_distinct = seen.size
      out.poll_errors = [...new Set(members.flatMap(st => st.errors))].sort()
      const commits = []
      for (const st of members) {
        if (!st.assigned.length) continue
        commits.push(await settle(st.c.commitOffsets(st.assigned.map(p => ({ topic: ctx.topic, partition: p, offset: String(st.progress[p] || 0) })))))
      }
      out.commits = commits.sort()
    } finally {
      for (const st of members) await withTimeout(st.c.disconnect(), T_MS, 'disconnect').catch(() => {})
    }
    await withAdmin(async admin => {
      try {
        const res = await withTimeout(admin.fetchOffsets({ groupId: gid, topics: [ctx.topic] }))
        out.committed = {}
        for (const p of res[0].partitions) out.committed[String(p.partition)] = Number(p.offset)
      } catch (e) { out.committed = errName(e) }
    })
    return out
  },

  async group_admin (ctx) {
    const parts = 2 // the runner creates this scenario's topic with 2 partitions
    for (let p = 0; p < parts; p++) await produce(ctx, groupRecords(p), {}, p)
    const gid = `${ctx.topic}-g`
    const want = parts * data.group.per_partition
    return withAdmin(async admin => {
      const out = {}
      const c = kafka.consumer({ groupId: gid, sessionTimeout: 10000, heartbeatInterval: 500, retry: { retries: 2 } })
      let got = 0
      try {
        await withTimeout(c.connect())
        await withTimeout(c.subscribe({ topic: ctx.topic, fromBeginning: true }))
        const last = {}
        await c.run({ autoCommit: false, eachMessage: async ({ partition, message: m }) => { got++; last[partition] = Number(m.offset) + 1 } })
        await waitUntil(() => got >= want)
        out.consumed = got
        out.commit = await settle(c.commitOffsets(Object.entries(last).map(([p, o]) => ({ topic: ctx.topic, partition: Number(p), offset: String(o) }))))
        try { out.listed = (await withTimeout(admin.listGroups())).groups.some(g => g.groupId === gid) } catch (e) { out.listed = errName(e) }
        out.while_member = await groupState(admin, gid)
      } finally {
        await withTimeout(c.disconnect()).catch(() => {})
      }
      out.after_close = await groupState(admin, gid)
      try {
        const res = await withTimeout(admin.fetchOffsets({ groupId: gid, topics: [ctx.topic] }))
        out.offsets = {}
        for (const p of res[0].partitions) out.offsets[`t/${p.partition}`] = Number(p.offset)
      } catch (e) { out.offsets = errName(e) }
      out.delete = await settle(admin.deleteGroups([gid]))
      out.delete_again = await settle(admin.deleteGroups([gid]))
      out.after_delete = await groupState(admin, gid)
      out.never_existed = await groupState(admin, `${gid}-none`)
      return out
    })
  },

  async transactions (ctx) {
    const recs = simpleRecords('transactions', i => `tx${i}`, i => `txn-${i}`)
    const producer = kafka.producer({ transactionalId: `${ctx.topic}-txn`, idempotent: true, maxInFlightRequests: 1, transactionTimeout: 10000, retry: { retries: 2 } })
    const out = {}
    await withTimeout(producer.connect())
    try {
      let txn
      try { txn = await withTimeout(producer.transaction()); out.init = 'NONE' } catch (e) { out.init = errName(e); return out }
      await withTimeout(txn.send({ topic: ctx.topic, messages: recs.map(r => message(r, 0)) }))
      out.commit = await settle(txn.commit())
    } finally {
      await producer.disconnect()
    }
    out.consumed = await consume(ctx, recs.length, { readUncommitted: false })
    await withAdmin(async admin => {
      const offs = await withTimeout(admin.fetchTopicOffsets(ctx.topic))
      out.watermarks = [Number(offs[0].low), Number(offs[0].high)]
    })
    return out
  },

  async error_unknown_topic (ctx) {
    try { await produce(ctx, [{ key: 'k', value: 'v', ts: 1700000000000 }]); return { send: 'NONE' } } catch (e) { return { send: errName(e) } }
  },

  async error_invalid_topic (ctx) {
    const bad = data.invalid_topic
    const out = {}
    await withAdmin(async admin => {
      try { out.create = await withTimeout(admin.createTopics({ topics: [{ topic: bad, numPartitions: 1, replicationFactor: 1 }] })) } catch (e) { out.create = errName(e) }
    })
    try { await produce(ctx, [{ key: 'k', value: 'v', ts: 1700000000000 }], { topic: bad }); out.produce = 'NONE' } catch (e) { out.produce = errName(e) }
    return out
  },

  async error_future_timestamp (ctx) {
    try {
      const res = await produce(ctx, [{ key: 'future', value: 'timestamp in the year 2100', ts: data.future_timestamp }])
      return { send: 'NONE', produced: res }
    } catch (e) { return { send: errName(e) } }
  },

  // A probe, not a feature check: lz4js's own frame writer leaves the block-independence flag
  // clear, which Apache Kafka's LZ4 reader refuses; whether a broker accepts such a batch shows
  // whether it decompresses what it stores.
  async lz4_dependent_blocks (ctx) {
    const saved = CompressionCodecs[CompressionTypes.LZ4]
    CompressionCodecs[CompressionTypes.LZ4] = () => ({
      async compress (encoder) { return Buffer.from(lz4.compress(encoder.buffer)) },
      async decompress (buffer) { return Buffer.from(lz4.decompress(buffer)) },
    })
    try {
      return { send: 'NONE', produced: await produce(ctx, compressionRecords(), { compression: CompressionTypes.LZ4 }) }
    } catch (e) {
      return { send: errName(e) }
    } finally {
      CompressionCodecs[CompressionTypes.LZ4] = saved
    }
  },

  async error_out_of_range (ctx) {
    const d = data.out_of_range
    await produce(ctx, simpleRecords('out_of_range', i => `r${i}`, i => `r-${i}`))
    // kafkajs has no "no reset" policy: an out-of-range seek falls back to the subscription's start.
    const got = await consume(ctx, 1, { seek: d.fetch_offset, tag: 'seek' })
    return { after_seek_out_of_range: got.map(r => r.o !== undefined ? r.o : r.error) }
  },
}

async function main () {
  emit({ version: require('kafkajs/package.json').version })
  for (const name of scenarios) {
    const fn = SCENARIOS[name]
    const t0 = Date.now()
    if (!fn) { emit({ scenario: name, exception: 'scenario not implemented by this driver' }); continue }
    try {
      emit({ scenario: name, result: await fn({ topic: `${prefix}-${name}` }) })
    } catch (e) {
      log(e && e.stack)
      emit({ scenario: name, exception: `${errName(e)}: ${e && e.message}` })
    }
    log(`scenario ${name} took ${((Date.now() - t0) / 1000).toFixed(1)}s`)
  }
}

main().then(() => process.exit(0), e => { log(e && e.stack); process.exit(1) })
