namespace Runner.Core.Queue;

/// <summary>
/// The Lua scripts that make each state change of a job atomic. Scripts that finish an entry only act when their
/// XACK removed it from the pending list, so a script re-sent after a lost reply (Redis outage) changes nothing twice.
/// </summary>
internal static class QueueScripts
{
    /// <summary>
    /// Lua shared by every begin script: the verdict for one delivery, done (its done key exists), busy (another
    /// token holds its running key) or ok (the running key is now <c>token</c>'s, for <c>lease</c> ms).
    /// </summary>
    private const string BeginKeys = """
        local function beginKeys(done, running, token, lease)
          if redis.call('EXISTS', done) == 1 then return 'done' end
          local holder = redis.call('GET', running)
          if holder and holder ~= token then return 'busy' end
          redis.call('SET', running, token, 'PX', lease)
          return 'ok'
        end

        """;

    /// <summary>KEYS: done, running. ARGV: token, lease ms. Returns done, busy or ok (the running key is now ours).</summary>
    public const string Begin = BeginKeys + """
        return beginKeys(KEYS[1], KEYS[2], ARGV[1], ARGV[2])
        """;

    /// <summary>
    /// KEYS: done, running of each entry of a read batch, in pairs. ARGV: lease ms, then one token per entry.
    /// <see cref="Begin"/> for the whole batch in one call: returns one verdict (done, busy or ok) per entry.
    /// </summary>
    public const string BeginMany = BeginKeys + """
        local verdicts = {}
        for i = 1, #ARGV - 1 do
          verdicts[i] = beginKeys(KEYS[2 * i - 1], KEYS[2 * i], ARGV[i + 1], ARGV[1])
        end
        return verdicts
        """;

    /// <summary>
    /// Lua shared by every script that ends or lets go of an entry: releaseIfHeld deletes the running key only while
    /// <c>token</c> still holds it ('' for none) and returns what DEL returned; countStat adds n to a field of the
    /// minute's stats hash, which lives two hours.
    /// </summary>
    private const string EntryEnd = """
        local function releaseIfHeld(running, token)
          if token ~= '' and redis.call('GET', running) == token then return redis.call('DEL', running) end
          return 0
        end
        local function countStat(stats, field, n)
          if n > 0 then
            redis.call('HINCRBY', stats, field, n)
            redis.call('EXPIRE', stats, 7200)
          end
        end

        """;

    /// <summary>
    /// Lua shared by the complete scripts: completeEntry marks one entry done before its ack and releases its running
    /// key, returning what XACK returned.
    /// </summary>
    private const string CompleteEntry = EntryEnd + """
        local function completeEntry(stream, group, id, done, running, token, doneTtl)
          redis.call('SET', done, id, 'PX', doneTtl)
          local acked = redis.call('XACK', stream, group, id)
          releaseIfHeld(running, token)
          return acked
        end

        """;

    /// <summary>KEYS: stream, done, running, stats. ARGV: group, id, done ttl ms, token. Marks done before the ack.</summary>
    public const string Complete = CompleteEntry + """
        local acked = completeEntry(KEYS[1], ARGV[1], ARGV[2], KEYS[2], KEYS[3], ARGV[4], ARGV[3])
        countStat(KEYS[4], 'processed', acked)
        return acked
        """;

    /// <summary>
    /// Lua shared by the scripts that begin entries they read themselves. ARGV from <c>first</c> on: lease ms, done-key
    /// prefix, running-key prefix, max delivery length, the number e of handled events, the e events. An entry is
    /// begun (as <see cref="BeginMany"/> does) only when it has an event some handler takes and a plausible delivery
    /// and payload (the worker parses it and checks the rest); its token is consumer|id as
    /// <see cref="InFlightJob.TokenFor"/> builds it. The verdict is done, busy, ok, or '' when not begun.
    /// </summary>
    private const string BeginReadEntries = BeginKeys + """
        local function readSettings(first)
          local settings = { lease = ARGV[first], done = ARGV[first + 1], running = ARGV[first + 2],
            maxlen = tonumber(ARGV[first + 3]), handled = {} }
          local events = tonumber(ARGV[first + 4])
          for i = first + 5, first + 4 + events do settings.handled[ARGV[i]] = true end
          settings.next = first + 5 + events
          return settings
        end
        local function beginEntry(settings, consumer, id, fields)
          local event, delivery, payload
          fields = fields or {}
          for j = 1, #fields, 2 do
            local name = fields[j]
            if name == 'event' then event = event or fields[j + 1]
            elseif name == 'delivery' then delivery = delivery or fields[j + 1]
            elseif name == 'payload' then payload = payload or fields[j + 1] end
          end
          if not (event and settings.handled[event] and delivery and string.find(delivery, '%S')
              and #delivery <= settings.maxlen and payload and string.find(payload, '%S')) then
            return ''
          end
          return beginKeys(settings.done .. delivery, settings.running .. delivery, consumer .. '|' .. id, settings.lease)
        end

        """;

    /// <summary>
    /// <see cref="Complete"/> for many jobs, then optionally the next non-blocking read, begun in the same script: one
    /// round trip where the loop would otherwise make three (complete, read, begin). KEYS: stream, stats, then done
    /// and running of each completed job. ARGV: group, consumer, done ttl ms, read count (0: no read), then the
    /// settings of <see cref="BeginReadEntries"/>, then id and token of each completed job. Each completion is atomic
    /// on its own (the whole script is); the stats are counted once. Returns { processed } or
    /// { processed, verdicts, read reply }, one verdict per read entry.
    /// </summary>
    public const string CompleteAndRead = BeginReadEntries + CompleteEntry + """
        local group, consumer = ARGV[1], ARGV[2]
        local settings = readSettings(5)
        local processed = 0
        for i = 0, (#KEYS - 2) / 2 - 1 do
          local id, token = ARGV[settings.next + 2 * i], ARGV[settings.next + 2 * i + 1]
          processed = processed + completeEntry(KEYS[1], group, id, KEYS[3 + 2 * i], KEYS[4 + 2 * i], token, ARGV[3])
        end
        countStat(KEYS[2], 'processed', processed)
        local count = tonumber(ARGV[4])
        if count == 0 then return { processed } end
        local read = redis.call('XREADGROUP', 'GROUP', group, consumer, 'COUNT', count, 'STREAMS', KEYS[1], '>')
        if not read then return { processed } end
        local verdicts = {}
        for i, item in ipairs(read[1][2]) do verdicts[i] = beginEntry(settings, consumer, item[1], item[2]) end
        return { processed, verdicts, read }
        """;

    /// <summary>
    /// Sent right behind a blocking XREADGROUP on the same connection, so Redis runs it the moment the read returns:
    /// begins the entries the read just delivered to this consumer (pending for it after the given id) without a
    /// round trip of its own. XPENDING and XRANGE, not XREADGROUP with an id, so delivery counts stay as they are.
    /// KEYS: stream. ARGV: group, consumer, after id (exclusive), count, then the settings of
    /// <see cref="BeginReadEntries"/>. Returns { ids, verdicts }.
    /// </summary>
    public const string BeginDelivered = BeginReadEntries + """
        local settings = readSettings(5)
        local ids, verdicts = {}, {}
        local pending = redis.call('XPENDING', KEYS[1], ARGV[1], '(' .. ARGV[3], '+', ARGV[4], ARGV[2])
        for i, row in ipairs(pending) do
          local found = redis.call('XRANGE', KEYS[1], row[1], row[1])[1]
          ids[i] = row[1]
          verdicts[i] = found and beginEntry(settings, ARGV[2], row[1], found[2]) or ''
        end
        return { ids, verdicts }
        """;

    /// <summary>
    /// KEYS: stream, retry, running, stats. ARGV: group, id, due ms, member, token, stats field ('' for none).
    /// Acks the entry and schedules its copy (carrying the next attempt) on the retry sorted set.
    /// </summary>
    public const string Schedule = EntryEnd + """
        local acked = redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
        if acked == 1 then
          redis.call('ZADD', KEYS[2], ARGV[3], ARGV[4])
          if ARGV[6] ~= '' then countStat(KEYS[4], ARGV[6], 1) end
        end
        releaseIfHeld(KEYS[3], ARGV[5])
        return acked
        """;

    /// <summary>KEYS: stream, dead, running, stats. ARGV: group, id, token, then the dead entry's field/value pairs.</summary>
    public const string DeadLetter = EntryEnd + """
        local acked = redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
        if acked == 1 then
          redis.call('XADD', KEYS[2], '*', unpack(ARGV, 4))
          countStat(KEYS[4], 'dead', 1)
        end
        releaseIfHeld(KEYS[3], ARGV[3])
        return acked
        """;

    /// <summary>KEYS: running. ARGV: token. Lets go of a delivery this process will not finish (shutdown).</summary>
    public const string Release = EntryEnd + """
        return releaseIfHeld(KEYS[1], ARGV[1])
        """;

    /// <summary>
    /// KEYS: stream, running keys…. ARGV: group, consumer, lease ms, then id/token pairs. Re-claims (JUSTID, so the
    /// delivery count stays) each entry still pending for this consumer, which resets its idle time, and extends a
    /// running key only while it still holds this job's own token: a key that is gone (released by the job's outcome
    /// script, or expired) is never created again, so a released delivery cannot come back as "running elsewhere".
    /// Returns the ids no longer pending for this consumer.
    /// </summary>
    public const string Heartbeat = """
        local lost = {}
        for i = 1, #KEYS - 1 do
          local id = ARGV[2 + 2 * i]
          local token = ARGV[3 + 2 * i]
          local pending = redis.pcall('XPENDING', KEYS[1], ARGV[1], id, id, 1)
          if type(pending) == 'table' and pending[1] and pending[1][2] == ARGV[2] then
            redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], 0, id, 'JUSTID')
          else
            lost[#lost + 1] = id
          end
          if token ~= '' and redis.call('GET', KEYS[1 + i]) == token then
            redis.call('PEXPIRE', KEYS[1 + i], ARGV[3])
          end
        end
        return lost
        """;

    /// <summary>
    /// KEYS: retry, stream, dead. ARGV: now ms, limit. Moves due retries back onto the stream as new entries.
    /// Returns { moved, score of the next scheduled retry or '' }.
    /// </summary>
    public const string MoveDue = """
        local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
        for _, member in ipairs(due) do
          local fields, pos, ok = {}, 1, true
          while pos <= #member do
            local colon = string.find(member, ':', pos, true)
            local len = colon and tonumber(string.sub(member, pos, colon - 1))
            if not len then ok = false; break end
            fields[#fields + 1] = string.sub(member, colon + 1, colon + len)
            pos = colon + len + 1
          end
          if ok and #fields > 0 and #fields % 2 == 0 then
            redis.call('XADD', KEYS[2], '*', unpack(fields))
          else
            redis.call('XADD', KEYS[3], '*', 'error', 'unreadable retry entry', 'raw', member)
          end
          redis.call('ZREM', KEYS[1], member)
        end
        local nextDue = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
        return { #due, nextDue[2] or '' }
        """;

    /// <summary>
    /// KEYS: stream. ARGV: retain, batch. Trims the oldest entries beyond the newest <c>retain</c>, but only below the
    /// oldest pending entry and the last-delivered id of every group: nothing unacknowledged or unread is trimmed.
    /// Returns how many entries were removed.
    /// </summary>
    public const string Trim = """
        local function parse(id)
          local ms, seq = string.match(id, '^(%d+)-(%d+)$')
          return tonumber(ms), tonumber(seq)
        end
        local function less(a, b)
          local am, as = parse(a)
          local bm, bs = parse(b)
          return am < bm or (am == bm and as < bs)
        end
        if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
        local excess = redis.call('XLEN', KEYS[1]) - tonumber(ARGV[1])
        if excess <= 0 then return 0 end
        local boundary = nil
        for _, group in ipairs(redis.call('XINFO', 'GROUPS', KEYS[1])) do
          local name, candidate
          for i = 1, #group, 2 do
            if group[i] == 'name' then name = group[i + 1] elseif group[i] == 'last-delivered-id' then candidate = group[i + 1] end
          end
          local summary = redis.call('XPENDING', KEYS[1], name)
          if summary[1] > 0 and less(summary[2], candidate) then candidate = summary[2] end
          if boundary == nil or less(candidate, boundary) then boundary = candidate end
        end
        if boundary == nil or boundary == '0-0' then return 0 end
        local victims = redis.call('XRANGE', KEYS[1], '-', '(' .. boundary, 'COUNT', math.min(excess, tonumber(ARGV[2])))
        if #victims == 0 then return 0 end
        local ms, seq = parse(victims[#victims][1])
        return redis.call('XTRIM', KEYS[1], 'MINID', string.format('%d-%d', ms, seq + 1))
        """;

    /// <summary>KEYS: dead, stream. ARGV: dead id, then field names to drop. Returns the new stream id, or nil if absent.</summary>
    public const string Replay = """
        local entries = redis.call('XRANGE', KEYS[1], ARGV[1], ARGV[1])
        if #entries == 0 then return false end
        local drop = {}
        for i = 2, #ARGV do drop[ARGV[i]] = true end
        local source, fields = entries[1][2], {}
        for i = 1, #source, 2 do
          if not drop[source[i]] then
            fields[#fields + 1] = source[i]
            fields[#fields + 1] = source[i + 1]
          end
        end
        if #fields == 0 then return redis.error_reply('dead entry ' .. ARGV[1] .. ' has no job fields') end
        local id = redis.call('XADD', KEYS[2], '*', unpack(fields))
        redis.call('XDEL', KEYS[1], ARGV[1])
        return id
        """;
}
