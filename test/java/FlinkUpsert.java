// FlinkUpsert runs Flink SQL in a local MiniCluster: the statements of a
// file (separated by ";" at the end of a line), the last one a bounded
// SELECT whose changelog it folds into the latest row per key (its first
// KEYS columns), printed tab-separated, one row per line. Run in Java's
// source-file mode with test/java/pom.xml's jars on the class path:
//
//   java -cp 'libs/*' test/java/FlinkUpsert.java FILE.sql KEYS
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.table.api.EnvironmentSettings;
import org.apache.flink.table.api.TableEnvironment;
import org.apache.flink.types.Row;
import org.apache.flink.util.CloseableIterator;

public class FlinkUpsert {
    public static void main(String[] args) throws Exception {
        String[] statements = Files.readString(Path.of(args[0])).split(";\n");
        int keys = Integer.parseInt(args[1]);
        TableEnvironment env = TableEnvironment.create(EnvironmentSettings.inStreamingMode());
        env.getConfig().set("parallelism.default", "1");
        for (int i = 0; i < statements.length - 1; i++) {
            env.executeSql(statements[i]);
        }
        Map<List<Object>, Row> latest = new LinkedHashMap<>();
        try (CloseableIterator<Row> rows = env.executeSql(statements[statements.length - 1]).collect()) {
            while (rows.hasNext()) {
                Row r = rows.next();
                List<Object> key = new ArrayList<>();
                for (int i = 0; i < keys; i++) {
                    key.add(r.getField(i));
                }
                switch (r.getKind()) {
                    case INSERT, UPDATE_AFTER -> latest.put(key, r);
                    case UPDATE_BEFORE, DELETE -> latest.remove(key);
                }
            }
        }
        for (Row r : latest.values()) {
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < r.getArity(); i++) {
                line.append(i == 0 ? "" : "\t").append(r.getField(i));
            }
            System.out.println(line);
        }
    }
}
