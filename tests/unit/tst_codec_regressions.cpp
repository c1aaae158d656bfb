// Inputs that once crashed, hung, leaked or tripped a sanitizer in a decoder (found by the fuzz
// targets in tests/fuzz), kept under tests/data/codec-regressions/<target>/. Each is decoded by
// its codec and by decodeValue(), then marked, shown and searched as the front ends do: none
// may crash, exceed the limits or take long.

#include "codecs/msgpack.h"
#include "codecs/pickle.h"
#include "codecs/rubymarshal.h"
#include "codectesting.h"

#include <QDir>
#include <QDirIterator>

using namespace Qt::StringLiterals;
using namespace SessionDesk;
using namespace CodecTesting;

namespace {

using Decoder = DecodedValue (*)(const QByteArray &, const Codecs::DecodeLimits &);

// The codec of the fuzz target a directory is named after; other directories (decodevalue and
// targets this test does not know) are decoded by decodeValue() only.
Decoder decoderFor(const QString &codec)
{
    if (codec == u"rubymarshal")
        return Codecs::decodeRubyMarshal;
    if (codec == u"pickle")
        return Codecs::decodePickle;
    if (codec == u"msgpack")
        return Codecs::decodeMsgpack;
    return nullptr;
}

} // namespace

class TestCodecRegressions final : public QObject
{
    Q_OBJECT

private slots:
    void decodesEveryFinding();
};

void TestCodecRegressions::decodesEveryFinding()
{
    const QDir root(QStringLiteral(CODEC_REGRESSIONS_DIR));
    QVERIFY2(root.exists(), qPrintable(root.path()));
    QDirIterator it(root.path(), QDir::Files, QDirIterator::Subdirectories);
    int decoded = 0;
    while (it.hasNext()) {
        const QString path = it.next();
        if (path.endsWith(u".md"))
            continue;
        const QString name = root.relativeFilePath(path);
        const QString codec = name.section(u'/', 0, 0);
        QFile file(path);
        QVERIFY2(file.open(QIODevice::ReadOnly), qPrintable(name));
        const QByteArray raw = file.readAll();
        QElapsedTimer timer;
        timer.start();
        if (const Decoder decode = decoderFor(codec)) {
            // With the default limits and with the fuzz targets' small ones.
            for (const Codecs::DecodeLimits &limits : {Codecs::DecodeLimits(), tightLimits()}) {
                const DecodedValue value = decode(raw, limits);
                QVERIFY2(depth(value.root) <= limits.maxDepth + 1, qPrintable(name));
                QVERIFY2(nodeCount(value.root) <= limits.maxNodes + 1, qPrintable(name));
                exercise(value);
            }
        }
        exercise(decodeValue(raw));
        QVERIFY2(timer.elapsed() < 5000, qPrintable(name + u" took more than 5 s"_s));
        ++decoded;
    }
    qInfo("%d regression inputs decoded", decoded);
}

QTEST_GUILESS_MAIN(TestCodecRegressions)
#include "tst_codec_regressions.moc"
