// Benchmark helper for bench_redis_scale.sh: the least a client can do to read or delete every
// key of a pattern on one Redis server, as a floor beside sessiondesk-cli's figures. It is the
// "pipelined SCAN + UNLINK prototype" the scale issue names: blocking hiredis, one SCAN per
// round and the work for the previous round's keys pipelined behind it, no bookkeeping (no
// dedup of repeated keys, no per-key outcome, no parsing of values, no error recovery).
//
//   bench_redis_floor PORT PATTERN COUNT unlink|mget [per-key | slots FIRST-LAST]
//       unlink: UNLINK of each round's keys; mget: MGET of them (values counted, not parsed).
//       per-key: one UNLINK or GET per key instead (a cluster master: keys of many slots).
//       slots: a cluster master's slots FIRST..LAST walked instead of SCAN, about COUNT keys a
//       round: CLUSTER GETKEYSINSLOT per slot (keys filtered by PATTERN with fnmatch), then
//       one MGET or UNLINK per slot, whose keys share it.
// Prints "KEYS keys, BYTES value bytes". Talks only to 127.0.0.1:PORT. Not a test.

#include <hiredis/hiredis.h>

#include <fnmatch.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

[[noreturn]] void die(const char *what, const redisContext *context)
{
    std::fprintf(stderr, "bench_redis_floor: %s%s%s\n", what, context ? ": " : "",
                 context ? context->errstr : "");
    std::exit(1);
}

redisReply *next(redisContext *context, void *reply = nullptr)
{
    if (!reply && (redisGetReply(context, &reply) != REDIS_OK || !reply))
        die("reading a reply", context);
    auto *r = static_cast<redisReply *>(reply);
    if (r->type == REDIS_REPLY_ERROR)
        die(r->str, nullptr);
    return r;
}

} // namespace

int main(int argc, char **argv)
{
    if (argc < 5) {
        std::fprintf(stderr,
                     "usage: bench_redis_floor PORT PATTERN COUNT unlink|mget "
                     "[per-key | slots FIRST-LAST]\n");
        return 2;
    }
    const int port = std::atoi(argv[1]);
    const char *pattern = argv[2];
    const std::string count = argv[3];
    const bool unlink = std::strcmp(argv[4], "unlink") == 0;
    const bool perKey = argc > 5 && std::strcmp(argv[5], "per-key") == 0;
    int firstSlot = -1, lastSlot = -1;
    if (argc > 6 && std::strcmp(argv[5], "slots") == 0
        && std::sscanf(argv[6], "%d-%d", &firstSlot, &lastSlot) != 2)
        die("slots takes FIRST-LAST", nullptr);
    redisContext *context = redisConnect("127.0.0.1", port);
    if (!context || context->err)
        die("connecting", context);

    std::string cursor = "0";
    long long keys = 0;
    long long valueBytes = 0;
    long long pending = 0; // replies of work sent and not yet read
    std::vector<const char *> args;
    std::vector<size_t> lengths;
    const auto readWork = [&] {
        for (; pending > 0; --pending) {
            redisReply *reply = next(context);
            if (reply->type == REDIS_REPLY_ARRAY) {
                for (size_t i = 0; i < reply->elements; ++i)
                    valueBytes += reply->element[i]->len;
            } else if (reply->type == REDIS_REPLY_STRING) {
                valueBytes += reply->len;
            }
            freeReplyObject(reply);
        }
    };
    if (firstSlot >= 0) {
        // About COUNT keys a round, at this master's average per slot.
        redisReply *size = next(context, redisCommand(context, "DBSIZE"));
        const long long perSlot = std::max(1LL, size->integer / (lastSlot - firstSlot + 1));
        freeReplyObject(size);
        const int slotsPerRound = int(std::max(1LL, std::stoll(count) / perSlot));
        std::vector<std::vector<std::string>> walked; // the last round's keys, per slot
        for (int slot = firstSlot; slot <= lastSlot || !walked.empty(); slot += slotsPerRound) {
            int asked = 0;
            for (int s = slot; s < slot + slotsPerRound && s <= lastSlot; ++s, ++asked) {
                const std::string text = std::to_string(s);
                const char *get[] = {"CLUSTER", "GETKEYSINSLOT", text.c_str(), "5001"};
                redisAppendCommandArgv(context, 4, get, nullptr);
            }
            for (const auto &slotKeys : walked) {
                args.assign(1, unlink ? "UNLINK" : "MGET");
                lengths.assign(1, std::strlen(args.front()));
                for (const std::string &key : slotKeys) {
                    args.push_back(key.c_str());
                    lengths.push_back(key.size());
                }
                redisAppendCommandArgv(context, int(args.size()), args.data(), lengths.data());
                ++pending;
            }
            walked.clear();
            for (int i = 0; i < asked; ++i) {
                redisReply *reply = next(context);
                std::vector<std::string> slotKeys;
                for (size_t k = 0; k < reply->elements; ++k) {
                    const redisReply *key = reply->element[k];
                    if (fnmatch(pattern, key->str, 0) == 0)
                        slotKeys.emplace_back(key->str, key->len);
                }
                keys += static_cast<long long>(slotKeys.size());
                if (!slotKeys.empty())
                    walked.push_back(std::move(slotKeys));
                freeReplyObject(reply);
            }
            readWork(); // the previous round's work, sent behind these GETKEYSINSLOTs
        }
        std::printf("%lld keys, %lld value bytes\n", keys, valueBytes);
        redisFree(context);
        return 0;
    }
    do {
        const char *scan[] = {"SCAN", cursor.c_str(), "MATCH", pattern, "COUNT", count.c_str()};
        redisAppendCommandArgv(context, 6, scan, nullptr);
        readWork(); // the previous round's work, sent before this SCAN
        redisReply *reply = next(context);
        if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 2)
            die("SCAN returned an unexpected reply", nullptr);
        cursor = reply->element[0]->str;
        const redisReply *found = reply->element[1];
        keys += static_cast<long long>(found->elements);
        if (found->elements > 0 && perKey) {
            for (size_t i = 0; i < found->elements; ++i) {
                const char *one[] = {unlink ? "UNLINK" : "GET", found->element[i]->str};
                const size_t oneLengths[] = {unlink ? 6u : 3u, found->element[i]->len};
                redisAppendCommandArgv(context, 2, one, oneLengths);
            }
            pending += static_cast<long long>(found->elements);
        } else if (found->elements > 0) {
            args.assign(1, unlink ? "UNLINK" : "MGET");
            lengths.assign(1, std::strlen(args.front()));
            for (size_t i = 0; i < found->elements; ++i) {
                args.push_back(found->element[i]->str);
                lengths.push_back(found->element[i]->len);
            }
            redisAppendCommandArgv(context, int(args.size()), args.data(), lengths.data());
            ++pending;
        }
        freeReplyObject(reply);
    } while (cursor != "0");
    readWork();
    std::printf("%lld keys, %lld value bytes\n", keys, valueBytes);
    redisFree(context);
    return 0;
}
