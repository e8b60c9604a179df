package io.portal.cli;

import com.google.protobuf.ByteString;
import io.portal.protocol.v1.Compare;
import io.portal.protocol.v1.DeleteRequest;
import io.portal.protocol.v1.GetRequest;
import io.portal.protocol.v1.SetRequest;
import io.portal.protocol.v1.TxnOp;
import io.portal.protocol.v1.TxnOpResult;
import io.portal.protocol.v1.TxnRequest;
import io.portal.protocol.v1.TxnResponse;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * {@code cli txn}: etcd's txn from the command line. Compares and ops are written as short phrases:
 * {@code --if "KEY version = 3"}, {@code --if "KEY value != off"}, {@code --then "set KEY VALUE"}, {@code --then "del
 * KEY"}, {@code --else "get KEY"}.
 */
@Command(name = "txn", description = {"Run a transaction over keys of one partition (give them one hash tag: "
    + "{user42}:name, {user42}:email): if every --if holds, the --then ops, else the --else ops, all or nothing.",
    "Prints SUCCEEDED or FAILED, then one line per op run: OK version N, deleted, (not found), or a value.",
    "Exit status 0 when the compares held, 1 when they did not."},
    mixinStandardHelpOptions = true, versionProvider = Cli.VersionProvider.class)
final class TxnCommand implements Callable<Integer> {
  @ParentCommand
  Cli cli;

  @Option(names = "--if", paramLabel = "COMPARE", description = "'KEY version OP N' (N 0: the key does not exist) or "
      + "'KEY value OP TEXT', OP one of = != < > (values: = and != only)")
  List<String> compares = new ArrayList<>();

  @Option(names = "--then", paramLabel = "OP", description = "'set KEY VALUE', 'del KEY' or 'get KEY', run when "
      + "every compare holds")
  List<String> success = new ArrayList<>();

  @Option(names = "--else", paramLabel = "OP", description = "the same, run when a compare does not hold")
  List<String> failure = new ArrayList<>();

  @Override
  public Integer call() {
    TxnRequest.Builder txn = TxnRequest.newBuilder();
    for (String compare : compares) {
      txn.addCompares(compare(compare));
    }
    success.forEach(op -> txn.addSuccess(op(op)));
    failure.forEach(op -> txn.addFailure(op(op)));
    return cli.withClient(client -> {
      TxnResponse response = client.txn(txn);
      PrintWriter out = cli.spec.commandLine().getOut();
      out.println(response.getSucceeded() ? "SUCCEEDED" : "FAILED");
      for (TxnOpResult result : response.getResultsList()) {
        switch (result.getResultCase()) {
          case SET -> out.println("OK version " + result.getSet().getVersion());
          case DELETE -> out.println(result.getDelete().getDeleted() ? "deleted" : "(not found)");
          case GET -> out.println(result.getGet().getFound() ? Cli.printable(result.getGet().getValue())
              : "(not found)");
          case RESULT_NOT_SET -> out.println("(no result)");
        }
      }
      return response.getSucceeded() ? Cli.OK : Cli.NOT_FOUND;
    });
  }

  /** 'KEY version OP N' or 'KEY value OP TEXT'. */
  static Compare compare(String text) {
    String[] words = text.trim().split("\\s+", 4);
    if (words.length < 4 && !(words.length == 3 && words[1].equals("value"))) {
      throw new IllegalArgumentException("--if '" + text + "' is not 'KEY version OP N' or 'KEY value OP TEXT'");
    }
    Compare.Builder compare = Compare.newBuilder().setKey(Cli.utf8(words[0])).setOp(switch (words[2]) {
      case "=", "==" -> Compare.Op.EQUAL;
      case "!=" -> Compare.Op.NOT_EQUAL;
      case "<" -> Compare.Op.LESS;
      case ">" -> Compare.Op.GREATER;
      default -> throw new IllegalArgumentException("--if '" + text + "': '" + words[2] + "' is not = != < or >");
    });
    String operand = words.length == 4 ? words[3] : "";
    switch (words[1]) {
      case "version" -> {
        try {
          compare.setVersion(Long.parseLong(operand));
        } catch (NumberFormatException e) {
          throw new IllegalArgumentException("--if '" + text + "': version '" + operand + "' is not a number");
        }
      }
      case "value" -> compare.setValue(Cli.utf8(operand));
      default -> throw new IllegalArgumentException("--if '" + text + "': compare a version or a value, not '"
          + words[1] + "'");
    }
    return compare.build();
  }

  /** 'set KEY VALUE', 'del KEY' or 'get KEY'. */
  static TxnOp op(String text) {
    String[] words = text.trim().split("\\s+", 3);
    ByteString key = words.length > 1 ? Cli.utf8(words[1]) : ByteString.EMPTY;
    return switch (words[0]) {
      case "set" -> {
        if (words.length < 3) {
          throw new IllegalArgumentException("'" + text + "' is not 'set KEY VALUE'");
        }
        yield TxnOp.newBuilder().setSet(SetRequest.newBuilder().setKey(key).setValue(Cli.utf8(words[2]))).build();
      }
      case "del" -> TxnOp.newBuilder().setDelete(DeleteRequest.newBuilder().setKey(key)).build();
      case "get" -> TxnOp.newBuilder().setGet(GetRequest.newBuilder().setKey(key)).build();
      default -> throw new IllegalArgumentException("'" + text + "' is not 'set KEY VALUE', 'del KEY' or 'get KEY'");
    };
  }
}
