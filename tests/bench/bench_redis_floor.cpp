// Benchmark helper for bench_redis_scale.sh: the least a client can do to read or delete every
// key of a pattern on one Redis server, as a floor beside sessiondesk-cli's figures. It is the
// "pipelined SCAN + UNLINK prototype" the scale issue names: blocking hiredis, one SCAN per
// round and the work for the previous round's keys pipelined behind it, no bookkeeping (no
// dedup of repeated keys, no per-key outcome, no parsing of values, no error recovery).
//
//   bench_redis_floor PORT PATTERN COUNT unlink|mget [per-key]
//       unlink: UNLINK of each round's keys; mget: MGET of them (values counted, not parsed).
//       per-key: one UNLINK or GET per key instead (a cluster master: keys of many slots).
// Prints "KEYS keys, BYTES value bytes". Talks only to 127.0.0.1:PORT. Not a test.

#include <hiredis/hiredis.h>

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

redisReply *next(redisContext *context)
{
    void *reply = nullptr;
    if (redisGetReply(context, &reply) != REDIS_OK || !reply)
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
        std::fprintf(stderr, "usage: bench_redis_floor PORT PATTERN COUNT unlink|mget [per-key]\n");
        return 2;
    }
    const int port = std::atoi(argv[1]);
    const char *pattern = argv[2];
    const std::string count = argv[3];
    const bool unlink = std::strcmp(argv[4], "unlink") == 0;
    const bool perKey = argc > 5 && std::strcmp(argv[5], "per-key") == 0;
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
