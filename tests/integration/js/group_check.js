// Consumer group check with kafkajs: two members of one group share a topic, commit, and the
// admin API reads the committed offsets back. Prints one JSON line; exits non-zero on failure.
//   node group_check.js HOST:PORT TOPIC GROUP
'use strict';
const { Kafka, logLevel } = require('kafkajs');

const [bootstrap, topic, groupId] = process.argv.slice(2);
const PARTITIONS = 4;
const RECORDS = 40;
const DEADLINE_MS = 90000;

function fail(why) {
  console.log(JSON.stringify({ ok: false, error: String(why && why.stack || why) }));
  process.exit(1);
}
setTimeout(() => fail('timed out'), DEADLINE_MS).unref();

async function main() {
  const kafka = new Kafka({ clientId: 'gregor-kafkajs', brokers: [bootstrap], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: PARTITIONS, replicationFactor: 1 }], waitForLeaders: true });
  const producer = kafka.producer();
  await producer.connect();
  const messages = [];
  for (let i = 0; i < RECORDS; i++) messages.push({ partition: i % PARTITIONS, value: 'm' + i });
  await producer.send({ topic, messages });
  await producer.disconnect();

  const seen = new Set();
  const assignments = {};
  const consumers = [];
  for (const name of ['a', 'b']) {
    const c = kafka.consumer({ groupId, sessionTimeout: 10000, heartbeatInterval: 500 });
    c.on(c.events.GROUP_JOIN, (e) => {
      assignments[name] = (e.payload.memberAssignment[topic] || []).slice().sort();
    });
    await c.connect();
    await c.subscribe({ topic, fromBeginning: true });
    await c.run({ eachMessage: async ({ partition, message }) => { seen.add(partition + ':' + message.offset); } });
    consumers.push(c);
  }
  // Wait for everything read and a split where both members own partitions.
  const split = () => {
    if (!assignments.a || !assignments.b || !assignments.a.length || !assignments.b.length) return false;
    const all = new Set(assignments.a.concat(assignments.b));
    return all.size === PARTITIONS && assignments.a.length + assignments.b.length === PARTITIONS;
  };
  while (!(seen.size >= RECORDS && split())) {
    await new Promise((r) => setTimeout(r, 100));
  }
  const splitSeen = { a: assignments.a, b: assignments.b }; // before leaving changes it again
  for (const c of consumers) await c.disconnect(); // commits what was processed, then leaves
  const offsets = await admin.fetchOffsets({ groupId, topics: [topic] });
  const committed = offsets[0].partitions.reduce((sum, p) => sum + Number(p.offset), 0);
  const described = await admin.describeGroups([groupId]);
  const groups = await admin.listGroups();
  await admin.disconnect();
  const result = {
    ok: committed === RECORDS && seen.size === RECORDS,
    seen: seen.size, committed, assignments: splitSeen,
    state: described.groups[0].state,
    listed: groups.groups.some((g) => g.groupId === groupId),
  };
  console.log(JSON.stringify(result));
  process.exit(result.ok ? 0 : 1);
}

main().catch(fail);
