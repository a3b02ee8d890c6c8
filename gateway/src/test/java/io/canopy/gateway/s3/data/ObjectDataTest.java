package io.canopy.gateway.s3.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.canopy.content.blockstore.FileBlockstore;
import io.canopy.content.importer.ImportOptions;
import io.canopy.content.importer.Importer;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ObjectDataTest {
  @TempDir Path tmp;

  @Test
  void anObjectIsAKuboCompatibleDagWithTheS3Md5() throws Exception {
    FileBlockstore blocks = FileBlockstore.open(tmp.resolve("blocks"));
    ObjectData data = new ObjectData(blocks);
    byte[] bytes = new byte[1_000_003];
    new Random(4).nextBytes(bytes);

    ObjectData.Stored stored = data.put(new ByteArrayInputStream(bytes), 10_000_000);

    assertThat(stored.size()).isEqualTo(bytes.length);
    assertThat(stored.md5Hex()).isEqualTo(HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(bytes)));
    assertThat(stored.cid()).isEqualTo(new Importer(b -> { }, ImportOptions.defaults()).importFile(new ByteArrayInputStream(bytes)).cid());
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    data.read(stored.cid(), 262_100, 1000, out);
    assertThat(out.toByteArray()).isEqualTo(Arrays.copyOfRange(bytes, 262_100, 263_100));
    assertThat(data.size(stored.cid())).isEqualTo(bytes.length);
  }

  @Test
  void aBodyOverTheLimitIsRefused() throws Exception {
    ObjectData data = new ObjectData(FileBlockstore.open(tmp.resolve("blocks")));
    assertThatThrownBy(() -> data.put(new ByteArrayInputStream(new byte[5000]), 4999))
        .isInstanceOf(ObjectData.TooLarge.class).hasMessageContaining("4999");
    assertThat(data.put(new ByteArrayInputStream(new byte[0]), 0).size()).isZero();
  }
}
